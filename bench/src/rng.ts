// Deterministic pseudo-random numbers for workloads (mulberry32): same seed → same workload.
// Token ids are drawn from [firstTokenId, vocabSize) so special ids (pad/BOS/EOS) never appear.

import { seededRandom } from '@mini-dynamo/model';

export type Rng = () => number;

/** The project's one seedable PRNG (mulberry32, shared with the random-weight generator). */
export const createRng: (seed: number) => Rng = seededRandom;

/** Mix several integers into one 32-bit seed (for per-group / per-hash-id streams). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ Math.floor(p / 4294967296), 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface TokenSpace {
  vocabSize: number;
  firstTokenId: number;
}

export const DEFAULT_TOKEN_SPACE: TokenSpace = Object.freeze({ vocabSize: 512, firstTokenId: 3 });

export function randomTokens(rng: Rng, length: number, space: TokenSpace): number[] {
  const span = space.vocabSize - space.firstTokenId;
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) out[i] = space.firstTokenId + Math.floor(rng() * span);
  return out;
}

/** Uniform integer in [mean·(1−ratio), mean·(1+ratio)], at least 1. */
export function jitteredLength(rng: Rng, mean: number, ratio: number): number {
  if (ratio <= 0) return Math.max(1, Math.round(mean));
  const lo = mean * (1 - ratio);
  const hi = mean * (1 + ratio);
  return Math.max(1, Math.round(lo + rng() * (hi - lo)));
}

/** Exponential inter-arrival gap in ms for a Poisson process of `ratePerSec`. */
export function exponentialGapMs(rng: Rng, ratePerSec: number): number {
  return (-Math.log(1 - rng()) / ratePerSec) * 1000;
}
