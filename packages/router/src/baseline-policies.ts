// Baseline policies behind the same RoutingPolicy contract: round_robin (cycles over the
// candidates), random (uniform), least_loaded (fewest active blocks + queued prefill, ties random).

import type { RoutingPolicy, RandomSource } from './routing-policy.js';
import { pickMinimum } from './routing-policy.js';

export function createRoundRobinPolicy(): RoutingPolicy {
  let next = 0;
  return {
    name: 'round_robin',
    select(ctx) {
      const c = ctx.candidates[next % ctx.candidates.length]!;
      next = (next + 1) % 1_000_000_007;
      return { workerId: c.workerId, reason: 'round_robin' };
    },
  };
}

export function createRandomPolicy(random: RandomSource = Math.random): RoutingPolicy {
  return {
    name: 'random',
    select(ctx) {
      const c = ctx.candidates[Math.floor(random() * ctx.candidates.length)]!;
      return { workerId: c.workerId, reason: 'random' };
    },
  };
}

export function createLeastLoadedPolicy(random: RandomSource = Math.random): RoutingPolicy {
  return {
    name: 'least_loaded',
    select(ctx) {
      const c = pickMinimum(ctx.candidates, (w) => w.numActiveBlocks + w.numPrefillTokensQueued / ctx.blockSize, random);
      return { workerId: c.workerId, reason: 'least_loaded' };
    },
  };
}
