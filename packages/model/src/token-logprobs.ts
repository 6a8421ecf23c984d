// Log-probabilities of a generated token from its raw logits row (vLLM V1's default "raw logprobs":
// before penalties, temperature, top-k/top-p). Invariant: the row is read, never written; the
// normaliser is a float64 log-sum-exp; the alternatives come from a partial selection (no full sort).

import { LOGPROB_FLOOR, type TokenLogprobs } from '@mini-dynamo/protocol';
import { topKIndices } from './sampler.js';

/** log Σ exp(logits), in float64 and shifted by the max so nothing overflows. */
export function logSumExp(logits: Float32Array): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  if (max === -Infinity || !Number.isFinite(max)) return max;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return max + Math.log(sum);
}

/** The sampled token's logprob and the numTop most likely tokens' (ties: lower id first); numTop 0 = none. */
export function tokenLogprobs(logits: Float32Array, sampledTokenId: number, numTop: number): TokenLogprobs {
  const lse = logSumExp(logits);
  const logprobOf = (id: number) => Math.max(LOGPROB_FLOOR, logits[id]! - lse);
  const topTokenIds = numTop > 0 ? topKIndices(logits, Math.min(numTop, logits.length)) : [];
  return { logprob: logprobOf(sampledTokenId), topTokenIds, topLogprobs: topTokenIds.map(logprobOf), rank: rankOf(logits, sampledTokenId) };
}

/** vLLM's rank: how many tokens score at least as high as `tokenId` (itself included). */
export function rankOf(logits: Float32Array, tokenId: number): number {
  const own = logits[tokenId]!;
  let n = 0;
  for (let i = 0; i < logits.length; i++) if (logits[i]! >= own) n++;
  return n;
}
