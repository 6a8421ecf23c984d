// processLogits: each step's exact effect, vLLM V1's order (bias before masks before penalties), the EOS-wins rule
// when the min-tokens mask meets an allowed-token mask, the caller's logits left untouched, and the word-wise mask
// against a per-id reference (any vocabulary size, bits past it, scratch reuse).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allowedTokenIds, applyPenalties, minTokensBan, needsLogitsProcessing, numAllowedTokens, processLogits } from './logits-processing.js';
import { isTokenAllowed } from './structured-output.js';
import { samplingParams } from './sampling.js';

const f32 = (...xs: number[]) => Float32Array.from(xs);
const maskOf = (ids: number[], vocab = 8) => {
  const m = new Uint32Array(Math.ceil(vocab / 32));
  for (const id of ids) m[id >>> 5]! |= 1 << (id & 31);
  return m;
};
const NONE = { outputTokenIds: [] as number[] };

describe('logits processing', () => {
  it('nothing to do: the very same array comes back (the hot path copies nothing)', () => {
    const logits = f32(1, 2, 3);
    assert.equal(processLogits(logits, samplingParams(), NONE, [2]), logits);
    assert.equal(needsLogitsProcessing(samplingParams({ temperature: 0.5, topK: 3, topP: 0.9 }), undefined), false);
    for (const p of [{ logitBias: [[1, 1]] as [number, number][] }, { minTokens: 1 }, { minP: 0.1 }, { repetitionPenalty: 1.1 }, { presencePenalty: 0.1 }]) {
      assert.equal(needsLogitsProcessing(samplingParams(p), undefined), true, JSON.stringify(p));
    }
    assert.equal(needsLogitsProcessing(samplingParams({ logitBias: [] }), undefined), false);
    assert.equal(needsLogitsProcessing(samplingParams(), maskOf([1])), true);
  });

  it('logit bias adds to the raw logits; the input is not modified', () => {
    const logits = f32(1, 2, 3);
    const out = processLogits(logits, samplingParams({ logitBias: [[0, 5], [2, -100]] }), NONE, []);
    assert.deepEqual(Array.from(out), [6, 2, -97]);
    assert.deepEqual(Array.from(logits), [1, 2, 3]);
  });

  it('min_tokens bans EOS (unless ignoreEos) and stop ids until enough tokens were generated', () => {
    const p = samplingParams({ minTokens: 2, stopTokenIds: [4] });
    assert.deepEqual(minTokensBan(p, 1, [2]), [2, 4]);
    assert.deepEqual(minTokensBan(p, 2, [2]), []);
    assert.deepEqual(minTokensBan(samplingParams({ minTokens: 2, stopTokenIds: [4], ignoreEos: true }), 0, [2]), [4]);
    const out = processLogits(f32(0, 0, 9, 0, 9), p, { outputTokenIds: [7] }, [2]);
    assert.deepEqual(Array.from(out), [0, 0, -Infinity, 0, -Infinity]);
  });

  it('the allowed mask leaves -Infinity outside it; with min_tokens banning every allowed token, EOS wins', () => {
    const mask = maskOf([1, 2]);
    const out = processLogits(f32(5, 1, 2, 3), samplingParams(), { outputTokenIds: [], allowedTokenMask: mask }, [2]);
    assert.deepEqual(Array.from(out), [-Infinity, 1, 2, -Infinity]);
    const banned = processLogits(f32(5, 1, 2, 3), samplingParams({ minTokens: 3 }), { outputTokenIds: [], allowedTokenMask: mask }, [2]);
    assert.deepEqual(Array.from(banned), [-Infinity, 1, -Infinity, -Infinity], 'EOS banned while token 1 is allowed');
    const onlyEos = processLogits(f32(5, 1, 2, 3), samplingParams({ minTokens: 3 }), { outputTokenIds: [], allowedTokenMask: maskOf([2]) }, [2]);
    assert.deepEqual(Array.from(onlyEos), [-Infinity, -Infinity, 2, -Infinity], 'only EOS allowed: the min-tokens mask yields');
  });

  it('repetition penalty over prompt and output: positive logits divided, negative multiplied, once per token', () => {
    const p = samplingParams({ repetitionPenalty: 2 });
    const out = processLogits(f32(4, -1, 3, 6), p, { outputTokenIds: [1, 1], promptTokenIds: [0, 0] }, []);
    assert.deepEqual(Array.from(out), [2, -2, 3, 6]);
    const none = processLogits(f32(4, -1, 3, 6), p, { outputTokenIds: [] }, []);
    assert.deepEqual(Array.from(none), [4, -1, 3, 6], 'no prompt ids, no output: nothing to penalise');
  });

  it('order: bias, then masks, then repetition, then presence/frequency', () => {
    const p = samplingParams({ logitBias: [[0, 2], [1, 100]], repetitionPenalty: 2, presencePenalty: 0.5, frequencyPenalty: 0.25 });
    // token 0: (2 + 2) / 2 = 2, then - 0.5 - 0.25·2 = 1; token 1: masked out despite +100; token 2: -3·2 = -6 (prompt).
    const out = processLogits(f32(2, 1, -3, 1), p, { outputTokenIds: [0, 0], promptTokenIds: [2], allowedTokenMask: maskOf([0, 2, 3]) }, []);
    assert.deepEqual(Array.from(out), [1, -Infinity, -6, 1]);
  });

  it('applyPenalties keeps its OpenAI semantics and copies only when needed', () => {
    const logits = f32(5, 4.5, 0);
    const p = samplingParams({ presencePenalty: 0.2, frequencyPenalty: 0.2 });
    assert.deepEqual(Array.from(applyPenalties(logits, p, [0, 0, 2])), [5 - 0.2 - 0.4, 4.5, -0.4].map(Math.fround));
    assert.equal(applyPenalties(logits, p, []), logits);
  });

  it('word-wise masking equals the per-id rule over random masks, bans and vocabulary sizes; scratch is reused', () => {
    let seed = 12345;
    const rand = () => ((seed = Math.imul(seed ^ (seed >>> 15), 0x2c1b3c6d) + 0x6d2b79f5 >>> 0) / 2 ** 32);
    const scratch = new Float32Array(200);
    for (let trial = 0; trial < 200; trial++) {
      const vocab = 1 + Math.floor(rand() * 150);
      const mask = new Uint32Array(Math.ceil(vocab / 32) + (trial % 3 === 0 ? 1 : 0));
      const density = [0, 0.03, 0.5, 0.97, 1][trial % 5]!;
      for (let w = 0; w < mask.length; w++) for (let b = 0; b < 32; b++) if (rand() < density) mask[w]! |= 1 << b;
      const logits = Float32Array.from({ length: vocab }, () => rand() * 10 - 5);
      const eos = [Math.floor(rand() * vocab)];
      const params = samplingParams({ minTokens: trial % 2, stopTokenIds: [Math.floor(rand() * vocab), vocab + 3] });
      const got = processLogits(logits, params, { outputTokenIds: [], allowedTokenMask: mask }, eos, trial % 2 === 0 ? scratch : undefined);
      const banned = new Set(minTokensBan(params, 0, eos));
      const allowed = Array.from({ length: vocab }, (_, id) => id).filter((id) => isTokenAllowed(mask, id));
      const keepsOne = allowed.some((id) => !banned.has(id));
      const want = Array.from(logits, (v, id) => (!isTokenAllowed(mask, id) || keepsOne && banned.has(id) ? -Infinity : v));
      assert.deepEqual(Array.from(got), want, `trial ${trial}`);
      if (trial % 2 === 0) assert.equal(got.buffer, scratch.buffer, 'written into the scratch');
      assert.equal(numAllowedTokens(mask, vocab), allowed.length);
      assert.deepEqual(Array.from(allowedTokenIds(mask, vocab)), allowed);
    }
  });
});
