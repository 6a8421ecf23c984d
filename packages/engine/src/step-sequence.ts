// What the runner gets of one scheduled sequence: its chunk, block table and — on a chunk that samples — its
// sampling params with the extras they need (structured-output mask, prompt ids for the repetition penalty); a
// prompt-only sequence (maxTokens 0) never samples.
// Invariant: the extras are attached only when used, so plain sequences carry nothing more on the hot path.
// A speculative decode computes [last token, ...drafts] and names the drafts (StepSequence.draftTokenIds).

import type { StepSequence } from '@mini-dynamo/protocol';
import { promptLogprobsRequest } from './prompt-logprobs.js';
import type { Sequence } from './sequence.js';

/** seq's share of a step computing its next numTokens tokens (from numComputedTokens), or its decode with drafts. */
export function stepSequence(seq: Sequence, numTokens: number, draftTokenIds?: number[]): StepSequence {
  const start = seq.numComputedTokens;
  const numDrafts = draftTokenIds?.length ?? 0;
  const end = start + numTokens - numDrafts;
  const sampling = end === seq.numTokens && seq.request.sampling.maxTokens > 0 ? seq.request.sampling : null;
  const stepSeq: StepSequence = {
    seqId: seq.seqId,
    tokenIds: numTokens === 1 ? [seq.tokenIds[start]!] : numDrafts > 0 ? [seq.tokenIds[start]!, ...draftTokenIds!] : seq.tokenIds.slice(start, end),
    startPosition: start,
    blockTable: seq.blockTable,
    sampling,
    outputTokenIds: seq.outputTokenIds,
    numPromptTokens: seq.numPromptTokens,
  };
  const promptLogprobs = promptLogprobsRequest(seq, start, numTokens);
  if (promptLogprobs !== null) stepSeq.promptLogprobs = promptLogprobs;
  if (sampling === null) return stepSeq;
  if (numDrafts > 0) stepSeq.draftTokenIds = draftTokenIds;
  if (seq.constraint !== null) stepSeq.allowedTokenMask = seq.constraint.allowedTokenMask();
  if ((sampling.repetitionPenalty ?? 1) !== 1) stepSeq.promptTokenIds = seq.request.promptTokenIds;
  return stepSeq;
}
