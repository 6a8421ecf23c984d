// Prompt logprobs (OpenAI completions `echo` + `logprobs`) on the engine side: which prompt tokens a
// chunk must score, and the per-sequence collection of what the runner reported. Invariants: entry i of
// a sequence's collection scores prompt token i + 1, entries arrive in order and are never replaced (a
// recompute after preemption scores them again; the repeats are dropped); the list is emitted once.

import type { PromptLogprobsRequest, TokenLogprobs } from '@mini-dynamo/protocol';
import type { Sequence } from './sequence.js';

/** What a chunk [start, start + numTokens) of seq must score, or null (not asked, already reported, nothing left). */
export function promptLogprobsRequest(seq: Sequence, start: number, numTokens: number): PromptLogprobsRequest | null {
  if (!seq.needsPromptLogprobs) return null;
  const numTop = seq.request.sampling.numPromptLogprobs!;
  const targetTokenIds = seq.tokenIds.slice(start + 1, Math.min(start + numTokens + 1, seq.numPromptTokens));
  return targetTokenIds.length === 0 ? null : { numTop, targetTokenIds };
}

/** Keep the chunk's scores (they start at prompt token start + 1) that extend seq's collection. */
export function absorbPromptLogprobs(seq: Sequence, start: number, scored: readonly TokenLogprobs[]): void {
  const collected = seq.promptLogprobs;
  for (let i = collected.length - start; i < scored.length; i++) if (i >= 0) collected.push(scored[i]!);
}

/** The whole prompt's logprobs ([0] null) once every prompt token is scored and not yet reported; marks it reported. */
export function takePromptLogprobs(seq: Sequence): (TokenLogprobs | null)[] | null {
  if (!seq.needsPromptLogprobs || seq.promptLogprobs.length < seq.numPromptTokens - 1) return null;
  seq.promptLogprobsReported = true;
  return [null, ...seq.promptLogprobs];
}
