// Test support: drives one sequence through a ModelRunner step by step, as plain decoding or with drafts proposed at
// each step, checking every step against a reference continuation (emitted tokens and numAcceptedDrafts), collecting
// each emitted token's logprobs when the sampling asks for them.
// Invariant: a driven sequence owns its block table, sized for prompt + numTokens; drafts never run past numTokens.

import assert from 'node:assert/strict';
import type { ModelRunner, SamplingParams, StepOutput, StepSequence, TokenLogprobs } from '@mini-dynamo/protocol';

export interface DrivenSequence {
  seqId: number;
  prompt: number[];
  sampling: SamplingParams;
  /** Output tokens to generate. */
  numTokens: number;
  blockTable: number[];
}

/** A block table of `numBlocks` ids starting at `first` (every other id: deliberately non-contiguous). */
export function blockTable(first: number, numBlocks: number): number[] {
  return Array.from({ length: numBlocks }, (_, i) => first + 2 * i);
}

/** q's share of a step: its whole prompt when out is empty, else [last token, ...drafts] after `out`. */
export function stepRow(q: DrivenSequence, out: readonly number[], drafts: readonly number[] = []): StepSequence {
  const row: StepSequence = {
    seqId: q.seqId, tokenIds: out.length === 0 ? q.prompt : [out.at(-1)!, ...drafts],
    startPosition: out.length === 0 ? 0 : q.prompt.length + out.length - 1, blockTable: q.blockTable, sampling: q.sampling,
    outputTokenIds: [...out], numPromptTokens: q.prompt.length, promptTokenIds: q.prompt,
  };
  if (drafts.length > 0) row.draftTokenIds = [...drafts];
  return row;
}

async function stepOne(runner: ModelRunner, row: StepSequence): Promise<StepOutput> {
  return runner.step({ sequences: [row], numTokens: row.tokenIds.length });
}

/** Plain decoding: prefill, then one token per step; each token's logprobs (when asked) go to `logprobs`. */
export async function plainDecode(runner: ModelRunner, q: DrivenSequence, logprobs: TokenLogprobs[] = []): Promise<number[]> {
  const out: number[] = [];
  while (out.length < q.numTokens) {
    const res = await stepOne(runner, stepRow(q, out));
    out.push(res.sampledTokenIds[0]!);
    logprobs.push(...emittedLogprobs(res));
  }
  return out;
}

/** The step's emitted tokens' logprobs (row 0): accepted drafts' then the sampled token's; none when not asked. */
function emittedLogprobs(res: StepOutput): TokenLogprobs[] {
  const sampled = res.logprobs?.[0] ?? null;
  return sampled === null ? [] : [...(res.draftLogprobs?.[0] ?? []), sampled];
}

/** Proposes the drafts of the step after `out` (the driver trims them to the tokens left). */
export type DraftProposer = (out: readonly number[], step: number) => number[];

export interface SpeculativeRun { numSteps: number; numAcceptedDrafts: number[]; logprobs: TokenLogprobs[] }

/**
 * Decoding with drafts: each step must keep exactly the drafts that match `reference` and emit reference's tokens.
 * Returns the steps taken, each draft step's numAcceptedDrafts and the emitted tokens' logprobs (when asked).
 */
export async function speculativeDecode(runner: ModelRunner, q: DrivenSequence, reference: readonly number[], propose: DraftProposer): Promise<SpeculativeRun> {
  const out: number[] = [];
  const run: SpeculativeRun = { numSteps: 0, numAcceptedDrafts: [], logprobs: [] };
  while (out.length < q.numTokens) {
    const drafts = out.length === 0 ? [] : propose(out, run.numSteps).slice(0, q.numTokens - out.length - 1);
    const res = await stepOne(runner, stepRow(q, out, drafts));
    run.numSteps++;
    const where = `step ${run.numSteps} after ${out.length} tokens, drafts [${drafts}]`;
    if (drafts.length === 0) assert.equal(res.numAcceptedDrafts, undefined, `${where}: no drafts, no numAcceptedDrafts`);
    const numAccepted = drafts.length === 0 ? 0 : res.numAcceptedDrafts![0]!;
    let expected = 0;
    while (expected < drafts.length && drafts[expected] === reference[out.length + expected]) expected++;
    assert.equal(numAccepted, expected, `${where}: accepted drafts`);
    if (drafts.length > 0) run.numAcceptedDrafts.push(numAccepted);
    out.push(...drafts.slice(0, numAccepted), res.sampledTokenIds[0]!);
    const logprobs = emittedLogprobs(res);
    if (q.sampling.numLogprobs !== null) assert.equal(logprobs.length, numAccepted + 1, `${where}: one logprobs per token`);
    run.logprobs.push(...logprobs);
    assert.deepEqual(out, reference.slice(0, out.length), `${where}: tokens`);
  }
  return run;
}

/** The reference's next k tokens (every draft accepted). */
export function trueDrafts(reference: readonly number[], k: number): DraftProposer {
  return (out) => reference.slice(out.length, out.length + k);
}

/** The reference's next k tokens with the one at `at` replaced (rejected there), k ≥ 1. */
export function corruptedDrafts(reference: readonly number[], k: number, at: number, vocabSize: number): DraftProposer {
  return (out) => reference.slice(out.length, out.length + k).map((id, j) => (j === at ? (id + 1 + out.length) % vocabSize : id));
}

/** Per step a random 0…maxK drafts from the reference, corrupted at a random position or not (`random` in [0, 1)). */
export function mixedDrafts(reference: readonly number[], maxK: number, vocabSize: number, random: () => number): DraftProposer {
  return (out) => {
    const k = Math.floor(random() * (maxK + 1));
    const at = Math.floor(random() * (k + 2)); // k or k + 1: nothing corrupted
    return corruptedDrafts(reference, k, at, vocabSize)(out, 0);
  };
}
