// tokenLogprobs against a float64 reference log-softmax: values, top-N order and ties, N = 0, the floor, vLLM's rank.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LOGPROB_FLOOR } from '@mini-dynamo/protocol';
import { counterUniform } from './sampler.js';
import { logSumExp, tokenLogprobs } from './token-logprobs.js';

/** Reference: log-softmax by a full float64 pass, no max shift (values stay small enough). */
function referenceLogSoftmax(logits: Float32Array): number[] {
  let sum = 0;
  for (const x of logits) sum += Math.exp(x);
  return Array.from(logits, (x) => x - Math.log(sum));
}

const randomLogits = (n: number, seed: number, scale = 8) => Float32Array.from({ length: n }, (_, i) => (counterUniform(seed, i) - 0.5) * scale);

describe('tokenLogprobs', () => {
  it('matches a float64 reference log-softmax on random logits; top-N is the reference sorted prefix', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const logits = randomLogits(500 + seed * 97, seed);
      const ref = referenceLogSoftmax(logits);
      const sampled = seed * 13 % logits.length;
      const n = seed % 21;
      const got = tokenLogprobs(logits, sampled, n);
      assert.ok(Math.abs(got.logprob - ref[sampled]!) < 1e-9, `seed ${seed}: ${got.logprob} vs ${ref[sampled]}`);
      const order = ref.map((_, i) => i).sort((a, b) => ref[b]! - ref[a]! || a - b);
      assert.deepEqual(got.topTokenIds, order.slice(0, n));
      got.topLogprobs.forEach((lp, k) => assert.ok(Math.abs(lp - ref[order[k]!]!) < 1e-9));
      const total = ref.reduce((s, lp) => s + Math.exp(lp), 0);
      assert.ok(Math.abs(total - 1) < 1e-9);
    }
  });

  it('is stable for large logits (shifted log-sum-exp)', () => {
    const logits = Float32Array.from([1000, 999, 998]);
    const got = tokenLogprobs(logits, 1, 3);
    const lse = 1000 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
    assert.ok(Math.abs(logSumExp(logits) - lse) < 1e-9);
    assert.ok(Math.abs(got.logprob - (999 - lse)) < 1e-9);
    assert.deepEqual(got.topTokenIds, [0, 1, 2]);
  });

  it('ties: equal logits keep the lower token id first', () => {
    const logits = Float32Array.from([0, 2, 1, 2, 2, 1]);
    const got = tokenLogprobs(logits, 5, 4);
    assert.deepEqual(got.topTokenIds, [1, 3, 4, 2]);
    assert.equal(got.topLogprobs[0], got.topLogprobs[2]);
    assert.equal(got.logprob, got.topLogprobs[3], 'token 5 ties token 2');
  });

  it('N = 0 reports only the sampled token; N above the vocabulary is capped', () => {
    const logits = randomLogits(50, 3);
    const none = tokenLogprobs(logits, 7, 0);
    assert.deepEqual(none.topTokenIds, []);
    assert.deepEqual(none.topLogprobs, []);
    assert.ok(none.logprob < 0);
    assert.equal(tokenLogprobs(Float32Array.from([1, 2]), 0, 20).topTokenIds.length, 2);
  });

  it('floors -inf logits at LOGPROB_FLOOR so the value survives JSON', () => {
    const got = tokenLogprobs(Float32Array.from([0, -Infinity, 1]), 1, 3);
    assert.equal(got.logprob, LOGPROB_FLOOR);
    assert.deepEqual(got.topTokenIds, [2, 0, 1]);
    assert.equal(JSON.parse(JSON.stringify(got)).topLogprobs[2], LOGPROB_FLOOR);
  });

  it("rank: how many tokens score at least as high (vLLM's count, ties included)", () => {
    const logits = Float32Array.from([0.5, 2, 0.5, -1, 3]);
    assert.deepEqual([4, 1, 0, 3, 2].map((id) => tokenLogprobs(logits, id, 0).rank), [1, 2, 4, 5, 4]);
  });
});
