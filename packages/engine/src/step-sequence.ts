// What the runner gets of one scheduled sequence: its chunk, block table and — on a chunk that samples — its
// sampling params with the extras they need (structured-output mask, prompt ids for the repetition penalty); a
// prompt-only sequence (maxTokens 0) never samples.
// Invariant: the extras are attached only when used, so plain sequences carry nothing more on the hot path.

import type { StepSequence } from '@mini-dynamo/protocol';
import { promptLogprobsRequest } from './prompt-logprobs.js';
import type { Sequence } from './sequence.js';

/** seq's share of a step computing its next numTokens tokens (from numComputedTokens). */
export function stepSequence(seq: Sequence, numTokens: number): StepSequence {
  const start = seq.numComputedTokens;
  const end = start + numTokens;
  const sampling = end === seq.numTokens && seq.request.sampling.maxTokens > 0 ? seq.request.sampling : null;
  const stepSeq: StepSequence = {
    seqId: seq.seqId,
    tokenIds: numTokens === 1 ? [seq.tokenIds[start]!] : seq.tokenIds.slice(start, end),
    startPosition: start,
    blockTable: seq.blockTable,
    sampling,
    outputTokenIds: seq.outputTokenIds,
    numPromptTokens: seq.numPromptTokens,
  };
  const promptLogprobs = promptLogprobsRequest(seq, start, numTokens);
  if (promptLogprobs !== null) stepSeq.promptLogprobs = promptLogprobs;
  if (sampling === null) return stepSeq;
  if (seq.constraint !== null) stepSeq.allowedTokenMask = seq.constraint.allowedTokenMask();
  if ((sampling.repetitionPenalty ?? 1) !== 1) stepSeq.promptTokenIds = seq.request.promptTokenIds;
  return stepSeq;
}
