// sampleToken with the logits processing: min_p after temperature (exact kept sets), masks and bias under greedy
// and seeded draws (never a masked token, for any draw), the min-tokens mask, drawIndex never landing on a
// zero weight, and the allowed-ids pick of a masked row equal to the full-row pick for every draw.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { processLogits, samplingParams, type SamplingParams } from '@mini-dynamo/protocol';
import { counterUniform, drawIndex, sampleToken } from './sampler.js';

const logitsOf = (probs: number[]) => Float32Array.from(probs.map(Math.log));
const maskOf = (ids: number[], vocab: number) => {
  const m = new Uint32Array(Math.ceil(vocab / 32));
  for (const id of ids) m[id >>> 5]! |= 1 << (id & 31);
  return m;
};
/** The tokens drawn over 2000 seeded draws (the draw index n as the seed's counter: [n] generated tokens). */
function drawn(logits: Float32Array, params = samplingParams(), context = {}): Set<number> {
  const seen = new Set<number>();
  for (let n = 0; n < 2000; n++) seen.add(sampleToken(logits, params, [], () => counterUniform(5, n), context));
  return seen;
}

describe('sampler with logits processing', () => {
  it('min_p drops tokens under min_p × the top probability, after temperature', () => {
    const logits = logitsOf([0.5, 0.3, 0.15, 0.05]);
    assert.deepEqual([...drawn(logits, samplingParams({ minP: 0.35 }))].sort(), [0, 1], '0.15 < 0.35·0.5 dropped, 0.3 kept');
    assert.deepEqual([...drawn(logits, samplingParams({ minP: 0.2 }))].sort(), [0, 1, 2]);
    // Temperature 0.5 squares the ratios: 0.3/0.5 → 0.36, 0.15/0.5 → 0.09: min_p 0.2 now keeps two.
    assert.deepEqual([...drawn(logits, samplingParams({ minP: 0.2, temperature: 0.5 }))].sort(), [0, 1]);
    assert.deepEqual([...drawn(logits, samplingParams({ minP: 1 }))], [0], 'min_p 1 is greedy');
    assert.deepEqual([...drawn(logits, samplingParams({ minP: 0.2, topK: 2 }))].sort(), [0, 1], 'with top-k');
  });

  it('min_p composes with top-p on the renormalised mass', () => {
    const logits = logitsOf([0.4, 0.3, 0.2, 0.1]);
    // min_p 0.3 keeps {0.4, 0.3, 0.2} (0.1 < 0.12); top-p 0.5 of that 0.9: 0.4 < 0.45, so {0, 1}.
    assert.deepEqual([...drawn(logits, samplingParams({ minP: 0.3, topP: 0.5 }))].sort(), [0, 1]);
  });

  it('greedy and seeded draws only pick allowed tokens; the bias moves greedy', () => {
    const logits = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i * 1.7) * 4);
    const allowed = [3, 17, 64, 99];
    const mask = maskOf(allowed, 100);
    const best = allowed.reduce((a, b) => (logits[b]! > logits[a]! ? b : a));
    assert.equal(sampleToken(logits, samplingParams({ temperature: 0 }), [], Math.random, { allowedTokenMask: mask }), best);
    for (const id of drawn(logits, samplingParams({ temperature: 1.5 }), { allowedTokenMask: mask })) assert.ok(allowed.includes(id), `${id}`);
    for (const id of drawn(logits, samplingParams({ temperature: 1.5, topK: 50, topP: 0.9 }), { allowedTokenMask: mask })) assert.ok(allowed.includes(id), `${id}`);
    assert.equal(sampleToken(logits, samplingParams({ temperature: 0, logitBias: [[42, 100]] }), []), 42);
  });

  it('the min-tokens mask keeps EOS and stop ids from being drawn until enough tokens exist', () => {
    const logits = logitsOf([0.05, 0.05, 0.8, 0.1]); // EOS (2) is the mode
    const p = samplingParams({ temperature: 0, minTokens: 2, stopTokenIds: [3] });
    assert.equal(sampleToken(logits, p, [], Math.random, { eosTokenIds: [2] }), 0);
    assert.equal(sampleToken(logits, p, [0, 1], Math.random, { eosTokenIds: [2] }), 2);
    assert.ok(!drawn(logits, samplingParams({ minTokens: 1 }), { eosTokenIds: [2] }).has(2));
  });

  it('drawIndex never returns a zero weight, even when rounding leaves the draw past the total', () => {
    assert.equal(drawIndex(Float64Array.of(0, 1, 0, 0), 0.9999999999999999), 1);
    assert.equal(drawIndex(Float64Array.of(0.3, 0, 0.7, 0), 0.5), 2);
    assert.equal(drawIndex(Float64Array.of(0.3, 0, 0.7, 0), 0.1), 0);
  });

  it('a masked row is picked over its allowed ids exactly as over the whole -Infinity-masked row', () => {
    const vocab = 1000, eos = [7];
    const rand = (n: number) => counterUniform(77, n);
    let draw = 0;
    const mixes: Partial<SamplingParams>[] = [
      { temperature: 0 }, { temperature: 1 }, { temperature: 0.7, topK: 5 }, { temperature: 1, topK: 400 }, { temperature: 1.3, topP: 0.8 },
      { temperature: 1, minP: 0.05, topK: 50, topP: 0.9 }, { temperature: 1, minTokens: 3 }, { temperature: 0, logitBias: [[3, 4], [900, -2]] },
    ];
    for (let trial = 0; trial < 120; trial++) {
      const logits = Float32Array.from({ length: vocab }, () => (rand(draw++) - 0.5) * 8);
      const density = [0.002, 0.05, 0.5, 0.95][trial % 4]!;
      const ids = Array.from({ length: vocab }, (_, id) => id).filter((id) => id === 7 || rand(draw++) < density);
      const mask = maskOf(ids, vocab);
      const params = samplingParams({ seed: trial, ...mixes[trial % mixes.length]! });
      const out = new Array<number>(trial % 5).fill(1);
      const dense = processLogits(logits, params, { outputTokenIds: out, allowedTokenMask: mask }, eos);
      const plain = samplingParams({ seed: trial, temperature: params.temperature, topK: params.topK, topP: params.topP, minP: params.minP });
      const picked = sampleToken(logits, params, out, Math.random, { allowedTokenMask: mask, eosTokenIds: eos });
      assert.equal(picked, sampleToken(dense, plain, out), `trial ${trial}`);
      assert.ok(ids.includes(picked), `trial ${trial}: ${picked} is allowed`);
    }
    const none = sampleToken(new Float32Array(vocab), samplingParams({ seed: 1 }), [], Math.random, { allowedTokenMask: maskOf([], vocab) });
    assert.ok(Number.isInteger(none) && none >= 0 && none < vocab, `a mask allowing nothing still yields a token id: ${none}`);
  });
});
