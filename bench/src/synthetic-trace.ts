// Synthetic Mooncake-format traces for simulations larger than any recorded file at hand:
// Poisson arrivals, `numGroups` shared prefixes of `prefixBlocks` hash ids (Zipf-ish popularity),
// then `suffixBlocks` ids unique to each request. Hash ids are globally unique per block content.

import { createRng, exponentialGapMs, jitteredLength } from './rng.js';
import { MOONCAKE_BLOCK_TOKENS, type MooncakeEntry } from './mooncake-trace.js';

export interface SyntheticTraceOptions {
  numRequests: number;
  ratePerSec: number;
  numGroups: number;
  prefixBlocks: number;
  suffixBlocks: number;
  outputLength: number;
  /** Zipf exponent over groups (0 = uniform). */
  zipf: number;
  seed: number;
}

function zipfPicker(n: number, s: number, rng: () => number): () => number {
  const weights = Array.from({ length: n }, (_, k) => 1 / Math.pow(k + 1, s));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of weights) cumulative.push((acc += w / total));
  return () => {
    const u = rng();
    const k = cumulative.findIndex((c) => u <= c);
    return k === -1 ? n - 1 : k;
  };
}

export function syntheticTrace(o: SyntheticTraceOptions): MooncakeEntry[] {
  const rng = createRng(o.seed);
  const pickGroup = zipfPicker(o.numGroups, o.zipf, rng);
  let nextId = o.numGroups * o.prefixBlocks;
  let t = 0;
  const entries: MooncakeEntry[] = [];
  for (let i = 0; i < o.numRequests; i++) {
    const g = pickGroup();
    const prefix = Array.from({ length: o.prefixBlocks }, (_, b) => g * o.prefixBlocks + b);
    const suffix = Array.from({ length: o.suffixBlocks }, () => nextId++);
    const hashIds = [...prefix, ...suffix];
    entries.push({
      timestamp: Math.round(t),
      inputLength: hashIds.length * MOONCAKE_BLOCK_TOKENS,
      outputLength: jitteredLength(rng, o.outputLength, 0.2),
      hashIds,
    });
    t += exponentialGapMs(rng, o.ratePerSec);
  }
  return entries;
}
