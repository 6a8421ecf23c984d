import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReferenceModel } from './reference-forward.js';
import { randomLlamaWeights, tinyLlamaConfig } from './random-weights.js';
import type { LlamaWeights } from './llama-weights.js';

const prompt = [1, 17, 300, 45, 9, 511];

test('GQA equals multi-head attention with each KV head repeated for its query group', () => {
  const gqa = tinyLlamaConfig({ numHeads: 4, numKvHeads: 2 });
  const w = randomLlamaWeights(gqa, 3);
  const rows = gqa.headDim * gqa.hiddenSize;
  const repeat = (t: Float32Array) => {
    const out = new Float32Array(t.length * 2);
    for (let h = 0; h < gqa.numHeads; h++) out.set(t.subarray(Math.floor(h / 2) * rows, (Math.floor(h / 2) + 1) * rows), h * rows);
    return out;
  };
  const mha: LlamaWeights = { ...w, layers: w.layers.map((l) => ({ ...l, k: repeat(l.k), v: repeat(l.v) })) };
  const a = new ReferenceModel(gqa, w).forward(prompt);
  const b = new ReferenceModel({ ...gqa, numKvHeads: 4 }, mha).forward(prompt);
  a.forEach((l, i) => l.forEach((v, j) => assert.ok(Math.abs(v - b[i]![j]!) < 1e-12)));
});

test('zero q/k/v biases change nothing; non-zero biases do; untied lm_head is used', () => {
  const c = tinyLlamaConfig({ architecture: 'Qwen2ForCausalLM', attentionBias: true });
  const w = randomLlamaWeights(c, 5);
  const zero = (t: Float32Array | null) => (t === null ? null : new Float32Array(t.length));
  const noBias = { ...w, layers: w.layers.map((l) => ({ ...l, qBias: zero(l.qBias), kBias: zero(l.kBias), vBias: zero(l.vBias) })) };
  const plain = new ReferenceModel({ ...c, attentionBias: false }, { ...w, layers: w.layers.map((l) => ({ ...l, qBias: null, kBias: null, vBias: null })) });
  assert.deepEqual(new ReferenceModel(c, noBias).forward(prompt), plain.forward(prompt));
  plain.reset();
  assert.notDeepEqual(new ReferenceModel(c, w).forward(prompt), plain.forward(prompt));
  const untied = tinyLlamaConfig({ tieWordEmbeddings: false });
  const uw = randomLlamaWeights(untied, 5);
  const viaHead = new ReferenceModel(untied, uw).forward([3])[0]!;
  const viaEmbed = new ReferenceModel(untied, { ...uw, lmHead: null }).forward([3])[0]!;
  assert.notDeepEqual(viaHead, viaEmbed);
});

test('attention is causal: a later token does not change earlier logits; llama3 scaling changes later ones', () => {
  const c = tinyLlamaConfig();
  const w = randomLlamaWeights(c, 9);
  const short = new ReferenceModel(c, w).forward(prompt.slice(0, 3));
  const long = new ReferenceModel(c, w).forward(prompt);
  assert.deepEqual(long.slice(0, 3), short);
  const ropeScaling = { ropeType: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 16 };
  const scaled = new ReferenceModel({ ...c, ropeScaling }, w).forward(prompt);
  assert.deepEqual(scaled[0], long[0], 'position 0 is not rotated');
  assert.notDeepEqual(scaled.at(-1), long.at(-1));
});
