// Sampler semantics: greedy, penalties, top-k, top-p, temperature, seeded reproducibility and distribution.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { samplingParams } from '@mini-dynamo/protocol';
import { applyPenalties, argmax, counterUniform, sampleToken } from './sampler.js';

const logitsOf = (probs: number[]) => Float32Array.from(probs.map(Math.log));

function frequencies(logits: Float32Array, params = samplingParams(), draws = 20000): number[] {
  const counts = new Array<number>(logits.length).fill(0);
  for (let n = 0; n < draws; n++) {
    counts[sampleToken(logits, params, [], () => counterUniform(99, n))]!++;
  }
  return counts.map((c) => c / draws);
}

describe('sampler', () => {
  it('greedy picks the argmax, lowest index on ties', () => {
    const logits = Float32Array.of(0.1, 3, -2, 3);
    assert.equal(argmax(logits), 1);
    assert.equal(sampleToken(logits, samplingParams({ temperature: 0 }), []), 1);
  });

  it('presence and frequency penalties subtract per generated occurrence (OpenAI semantics)', () => {
    const logits = Float32Array.of(5, 4.5, 0);
    const p = samplingParams({ temperature: 0, presencePenalty: 0.2, frequencyPenalty: 0.2 });
    const penalised = applyPenalties(logits, p, [0, 0, 2]);
    assert.deepEqual(Array.from(penalised), [5 - 0.2 - 0.4, 4.5, -0.4].map(Math.fround));
    assert.equal(sampleToken(logits, p, [0, 0, 2]), 1);
    assert.equal(sampleToken(logits, p, []), 0);
    assert.equal(logits[0], 5, 'the caller\'s logits are not modified');
  });

  it('temperature 1 samples the softmax distribution', () => {
    const f = frequencies(logitsOf([0.5, 0.3, 0.2]));
    [0.5, 0.3, 0.2].forEach((p, i) => assert.ok(Math.abs(f[i]! - p) < 0.015, `token ${i}: ${f[i]}`));
  });

  it('low temperature sharpens, high temperature flattens', () => {
    const logits = logitsOf([0.5, 0.3, 0.2]);
    assert.ok(frequencies(logits, samplingParams({ temperature: 0.25 }), 5000)[0]! > 0.8);
    assert.ok(frequencies(logits, samplingParams({ temperature: 10 }), 5000)[2]! > 0.28);
  });

  it('top-k keeps only the k most likely tokens', () => {
    const f = frequencies(logitsOf([0.2, 0.5, 0.1, 0.2]), samplingParams({ topK: 2 }), 5000);
    assert.equal(f[2], 0);
    assert.ok(f[0]! > 0 && f[3]! === 0 || f[3]! > 0 && f[0]! === 0, 'exactly one of the tied 0.2 tokens survives');
    assert.ok(Math.abs(f[1]! - 0.5 / 0.7) < 0.03);
  });

  it('top-p keeps the smallest prefix holding the mass', () => {
    const f = frequencies(logitsOf([0.3, 0.5, 0.2]), samplingParams({ topP: 0.7 }), 5000);
    assert.equal(f[2], 0);
    assert.ok(Math.abs(f[1]! - 0.5 / 0.8) < 0.03);
    const big = new Float32Array(50000).fill(0);
    big[123] = 20;
    assert.equal(sampleToken(big, samplingParams({ topP: 0.5, seed: 1 }), []), 123);
  });

  it('a seeded draw depends only on (seed, number of generated tokens)', () => {
    const logits = new Float32Array(1000).map((_, i) => Math.sin(i));
    const p = samplingParams({ seed: 1234 });
    const a = Array.from({ length: 30 }, (_, n) => sampleToken(logits, p, new Array(n).fill(7), () => 0.999));
    const b = Array.from({ length: 30 }, (_, n) => sampleToken(logits, p, new Array(n).fill(7), () => 0));
    assert.deepEqual(a, b, 'the runner\'s own stream is not used for seeded requests');
    assert.ok(new Set(a).size > 10, 'draws vary with the counter');
    const other = Array.from({ length: 30 }, (_, n) => sampleToken(logits, samplingParams({ seed: 1235 }), new Array(n).fill(7)));
    assert.notDeepEqual(a, other);
  });

  it('counterUniform is in [0, 1) for any integer seed, including huge and negative ones', () => {
    for (const seed of [0, 1, -5, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      for (let c = 0; c < 100; c++) {
        const u = counterUniform(seed, c);
        assert.ok(u >= 0 && u < 1);
      }
    }
    assert.notEqual(counterUniform(2 ** 40, 0), counterUniform(2 ** 41, 0));
  });
});
