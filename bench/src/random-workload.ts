// Random workload: independent single-turn requests with uniform random token ids, input and output
// lengths jittered around their means (vLLM's `random` dataset with --random-range-ratio).

import { createRng, jitteredLength, randomTokens, type TokenSpace } from './rng.js';
import type { Session } from './workload.js';

export interface RandomWorkloadOptions {
  numRequests: number;
  inputLength: number;
  outputLength: number;
  rangeRatio: number;
  seed: number;
  tokenSpace: TokenSpace;
}

export function randomWorkload(o: RandomWorkloadOptions): Session[] {
  const rng = createRng(o.seed);
  return Array.from({ length: o.numRequests }, (_, i) => ({
    id: `r${i}`,
    group: null,
    atMs: null,
    turns: [{
      promptTokenIds: randomTokens(rng, jitteredLength(rng, o.inputLength, o.rangeRatio), o.tokenSpace),
      maxTokens: jitteredLength(rng, o.outputLength, o.rangeRatio),
    }],
  }));
}
