// Conformance suite every RoutingPolicy runs: picks only candidates, handles one candidate,
// names a valid reason, and spreads equal workers when the chosen one's load grows.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '@mini-dynamo/protocol';
import type { RoutingPolicy, RandomSource, WorkerCandidate } from './routing-policy.js';

export const candidate = (workerId: string, over: Partial<WorkerCandidate> = {}): WorkerCandidate => ({
  workerId, overlapBlocks: 0, numActiveBlocks: 0, numPrefillTokensQueued: 0, numTotalBlocks: 1000, ...over,
});

const VALID_REASONS = new Set(['kv_overlap', 'load', 'round_robin', 'random', 'least_loaded', 'single_worker']);

export function routingPolicyConformance(name: string, make: (random: RandomSource) => RoutingPolicy): void {
  describe(`RoutingPolicy conformance: ${name}`, () => {
    test('always picks one of the candidates, with a valid reason', () => {
      const policy = make(seededRandom(1));
      const candidates = ['a', 'b', 'c'].map((w, i) => candidate(w, { numActiveBlocks: i * 3, overlapBlocks: i }));
      for (let i = 0; i < 50; i++) {
        const s = policy.select({ candidates, numPromptTokens: 64, blockSize: 16, overlapWeight: 1 });
        assert.ok(candidates.some((c) => c.workerId === s.workerId));
        assert.ok(VALID_REASONS.has(s.reason), s.reason);
      }
    });

    test('a single candidate is always chosen', () => {
      const policy = make(seededRandom(2));
      const s = policy.select({ candidates: [candidate('only', { numActiveBlocks: 999 })], numPromptTokens: 1, blockSize: 16, overlapWeight: 1 });
      assert.equal(s.workerId, 'only');
    });

    test('equal workers share the work when chosen workers get loaded', () => {
      const policy = make(seededRandom(3));
      const candidates = ['a', 'b', 'c', 'd'].map((w) => candidate(w));
      const counts = new Map<string, number>();
      for (let i = 0; i < 400; i++) {
        const s = policy.select({ candidates, numPromptTokens: 32, blockSize: 16, overlapWeight: 1 });
        counts.set(s.workerId, (counts.get(s.workerId) ?? 0) + 1);
        candidates.find((c) => c.workerId === s.workerId)!.numActiveBlocks += 2;
      }
      for (const w of ['a', 'b', 'c', 'd']) assert.ok((counts.get(w) ?? 0) >= 60, `${w}: ${counts.get(w)} of 400`);
    });
  });
}
