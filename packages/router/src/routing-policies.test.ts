import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKvPolicy, kvCost, softmaxSample } from './kv-policy.js';
import { createLeastLoadedPolicy, createRandomPolicy, createRoundRobinPolicy } from './baseline-policies.js';
import { seededRandom } from '@mini-dynamo/protocol';
import { candidate, routingPolicyConformance } from './routing-policy-conformance.js';

routingPolicyConformance('kv', (random) => createKvPolicy({ random }));
routingPolicyConformance('kv (temperature 0.5)', (random) => createKvPolicy({ random, temperature: 0.5 }));
routingPolicyConformance('round_robin', () => createRoundRobinPolicy());
routingPolicyConformance('random', (random) => createRandomPolicy(random));
routingPolicyConformance('least_loaded', (random) => createLeastLoadedPolicy(random));

const ctx = (candidates: ReturnType<typeof candidate>[], overlapWeight = 1) => ({ candidates, numPromptTokens: 160, blockSize: 16, overlapWeight });

test('kv cost = weight × (queued prefill + uncached prompt) blocks + active blocks after admission', () => {
  const c = candidate('a', { overlapBlocks: 4, numActiveBlocks: 7, numPrefillTokensQueued: 32 });
  // prompt 160 tokens = 10 blocks; uncached 96 tokens = 6 blocks; queued 2 blocks → prefill 8;
  // admission adds the 6 blocks the worker does not hold yet
  assert.equal(kvCost(c, ctx([c], 2)), 2 * 8 + 7 + 6);
});

test('kv prefers the worker holding the prefix, until load outweighs the overlap', () => {
  const policy = createKvPolicy({ random: seededRandom(1) });
  const holder = candidate('holder', { overlapBlocks: 8 });
  const idle = candidate('idle');
  assert.deepEqual(policy.select(ctx([holder, idle])), { workerId: 'holder', reason: 'kv_overlap' });
  holder.numActiveBlocks = 17; // holder: 2 + 17 + 2 = 21 > idle: 10 + 0 + 10 = 20
  assert.deepEqual(policy.select(ctx([holder, idle])), { workerId: 'idle', reason: 'load' });
  assert.equal(policy.select(ctx([holder, idle], 3)).workerId, 'holder', 'a higher overlap weight favours the cache again');
});

test('kv ties go to the lower load', () => {
  const policy = createKvPolicy({ random: seededRandom(4) });
  // a: 8 prefill + 4 active + 8 new = 20; b: 10 + 0 + 10 = 20
  const a = candidate('a', { numActiveBlocks: 4, overlapBlocks: 2 });
  const b = candidate('b', { numActiveBlocks: 0 });
  assert.equal(kvCost(a, ctx([a, b])), kvCost(b, ctx([a, b])));
  assert.equal(policy.select(ctx([a, b])).workerId, 'b');
});

test('softmax sampling favours low cost and is uniform on equal costs', () => {
  const random = seededRandom(9);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[softmaxSample([0, 5, 10], 0.2, random)]!++;
  assert.ok(counts[0]! > counts[1]! && counts[1]! > counts[2]!, String(counts));
  const flat = [0, 0];
  for (let i = 0; i < 2000; i++) flat[softmaxSample([3, 3], 0.5, random)]!++;
  assert.ok(Math.abs(flat[0]! - flat[1]!) < 200, String(flat));
});

test('round_robin cycles and least_loaded picks the minimum', () => {
  const rr = createRoundRobinPolicy();
  const cs = ['a', 'b', 'c'].map((w) => candidate(w));
  assert.deepEqual([0, 1, 2, 3].map(() => rr.select(ctx(cs)).workerId), ['a', 'b', 'c', 'a']);
  const ll = createLeastLoadedPolicy(seededRandom(1));
  assert.equal(ll.select(ctx([candidate('a', { numActiveBlocks: 5 }), candidate('b', { numActiveBlocks: 1 })])).workerId, 'b');
});
