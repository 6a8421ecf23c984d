// The kv policy (Dynamo's KV-aware selection): cost = overlapWeight × prefill blocks after overlap
// (+ the worker's queued prefill) + active blocks after admission (the worker's active blocks +
// this request's blocks it does not already hold: shared prefix blocks count once, as in Dynamo's
// ActiveSequences); lowest cost wins, ties go to the lower load, then random.
// temperature > 0 samples softmax(-normalised cost / T).

import type { RoutingPolicy, SelectionContext, WorkerCandidate, RandomSource, Selection } from './routing-policy.js';
import { pickMinimum } from './routing-policy.js';

export interface KvPolicyOptions {
  temperature?: number;
  random?: RandomSource;
}

export function kvCost(c: WorkerCandidate, ctx: SelectionContext): number {
  const numPromptBlocks = Math.ceil(ctx.numPromptTokens / ctx.blockSize);
  const uncachedTokens = Math.max(0, ctx.numPromptTokens - c.overlapBlocks * ctx.blockSize);
  const prefillBlocks = (c.numPrefillTokensQueued + uncachedTokens) / ctx.blockSize;
  const activeBlocks = c.numActiveBlocks + Math.max(0, numPromptBlocks - c.overlapBlocks);
  return ctx.overlapWeight * prefillBlocks + activeBlocks;
}

/** Softmax sample over -cost, costs normalised to [0, 1] first (as Dynamo does). */
export function softmaxSample(costs: readonly number[], temperature: number, random: RandomSource): number {
  const min = Math.min(...costs);
  const range = Math.max(...costs) - min;
  if (range === 0) return Math.floor(random() * costs.length);
  const weights = costs.map((c) => Math.exp(-((c - min) / range) / temperature));
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

export function createKvPolicy(options: KvPolicyOptions = {}): RoutingPolicy {
  const temperature = options.temperature ?? 0;
  const random = options.random ?? Math.random;
  return {
    name: 'kv',
    select(ctx: SelectionContext): Selection {
      const costs = ctx.candidates.map((c) => kvCost(c, ctx));
      let chosen: WorkerCandidate;
      if (temperature > 0) chosen = ctx.candidates[softmaxSample(costs, temperature, random)]!;
      else {
        const minCost = Math.min(...costs);
        const tied = ctx.candidates.filter((_, i) => costs[i] === minCost);
        chosen = pickMinimum(tied, (c) => c.numActiveBlocks + c.numPrefillTokensQueued / ctx.blockSize, random);
      }
      return { workerId: chosen.workerId, reason: chosen.overlapBlocks > 0 ? 'kv_overlap' : 'load' };
    },
  };
}
