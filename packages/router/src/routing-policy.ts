// The RoutingPolicy contract: pick one worker among non-busy candidates. Policies are pure
// selection; hashing, indexing, load tracking and explain live in the router.
// Invariant: select() returns one of ctx.candidates (the list is never empty).

import type { RoutingPolicyName, RoutingReason } from '@mini-dynamo/protocol';

export interface WorkerCandidate {
  workerId: string;
  /** Leading prompt blocks this worker is predicted to hold. */
  overlapBlocks: number;
  numActiveBlocks: number;
  numPrefillTokensQueued: number;
  numTotalBlocks: number;
}

export interface SelectionContext {
  /** Non-empty, in a stable order (sorted by workerId). */
  candidates: readonly WorkerCandidate[];
  numPromptTokens: number;
  blockSize: number;
  overlapWeight: number;
}

export interface Selection {
  workerId: string;
  reason: RoutingReason;
}

export interface RoutingPolicy {
  readonly name: RoutingPolicyName;
  select(ctx: SelectionContext): Selection;
}

/** Uniform [0, 1) source; injectable so tests are deterministic. */
export type RandomSource = () => number;

/** Picks uniformly among the candidates whose key is minimal. */
export function pickMinimum<T>(items: readonly T[], key: (item: T) => number, random: RandomSource): T {
  let best: T[] = [];
  let bestKey = Infinity;
  for (const item of items) {
    const k = key(item);
    if (k < bestKey) {
      bestKey = k;
      best = [item];
    } else if (k === bestKey) best.push(item);
  }
  return best.length === 1 ? best[0]! : best[Math.floor(random() * best.length)]!;
}
