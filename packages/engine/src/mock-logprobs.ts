// The MockRunner's next-token distribution, so the logprobs it reports are honest: the mock always picks
// the mode of this distribution (it ignores temperature; the mode itself depends on (last token, position,
// seed)); at a prompt position p (prompt logprobs) the mode is mockNextToken(token p, p + 1, seed 0).
// Logits: the picked token m → 0; the MOCK_NUM_RUNNERS_UP tokens (m + j) mod V → −j; every other token →
// MOCK_REST_LOGIT. Invariant: the reported values are exact log-softmax values of these logits.

import { LOGPROB_FLOOR, type TokenLogprobs } from '@mini-dynamo/protocol';

export const MOCK_NUM_RUNNERS_UP = 4;
export const MOCK_REST_LOGIT = -12;

/** The mock's logit of `tokenId` when it picked `picked` (see the file comment). */
export function mockLogit(picked: number, tokenId: number, vocabSize: number): number {
  const j = (tokenId - picked + vocabSize) % vocabSize;
  return j <= numRunnersUp(vocabSize) ? -j : MOCK_REST_LOGIT;
}

/** The mock's whole logits row when it picked `picked` (what logits processing reads). */
export function mockLogits(picked: number, vocabSize: number): Float32Array {
  return Float32Array.from({ length: vocabSize }, (_, id) => mockLogit(picked, id, vocabSize));
}

/**
 * Logprob of `scored` (default: the picked token) under the distribution whose mode is `picked`, and of the
 * numTop most likely tokens (ties: lower id first).
 */
export function mockLogprobs(picked: number, numTop: number, vocabSize: number, scored = picked): TokenLogprobs {
  const k = numRunnersUp(vocabSize);
  let sum = (vocabSize - 1 - k) * Math.exp(MOCK_REST_LOGIT);
  for (let j = 0; j <= k; j++) sum += Math.exp(-j);
  const lse = Math.log(sum);
  const logprob = (id: number) => Math.max(LOGPROB_FLOOR, mockLogit(picked, id, vocabSize) - lse);
  const topTokenIds = Array.from({ length: Math.min(numTop, k + 1) }, (_, j) => (picked + j) % vocabSize);
  // The rest tie at MOCK_REST_LOGIT: lowest ids first, skipping the picked token and its runners-up.
  for (let id = 0; topTokenIds.length < Math.min(numTop, vocabSize); id++) {
    if ((id - picked + vocabSize) % vocabSize > k) topTokenIds.push(id);
  }
  const j = (scored - picked + vocabSize) % vocabSize;
  const rank = j <= k ? j + 1 : vocabSize; // the rest tie at MOCK_REST_LOGIT: all of them count
  return { logprob: logprob(scored), topTokenIds, topLogprobs: topTokenIds.map(logprob), rank };
}

function numRunnersUp(vocabSize: number): number {
  return Math.min(MOCK_NUM_RUNNERS_UP, vocabSize - 1);
}
