import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, defaultModelDir } from './load-model.js';
import { ReferenceModel, referenceGreedy } from './reference-forward.js';
import { permuteInterleavedToHalf } from './llama2c-loader.js';
import { loadTokenizer } from './model-tokenizer.js';

const golden = JSON.parse(readFileSync(join(defaultModelDir(), 'golden_greedy_bos_64.json'), 'utf8')) as {
  prompt_ids: number[]; greedy_ids_64: number[]; mean_nll_teacher_forced: number;
};

async function stories() {
  const r = await loadModel(defaultModelDir());
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

test('stories260K header imports as a GQA Llama with tied embeddings', async () => {
  const m = await stories();
  assert.equal(m.format, 'llama2c');
  assert.equal(m.name, 'stories260K');
  assert.deepEqual(
    [m.config.hiddenSize, m.config.intermediateSize, m.config.numLayers, m.config.numHeads, m.config.numKvHeads, m.config.headDim, m.config.vocabSize],
    [64, 172, 5, 8, 4, 8, 512],
  );
  assert.equal(m.config.tieWordEmbeddings, true);
  assert.deepEqual(m.config.eosTokenIds, [2, 1], 'a story ends with BOS, as in llama2.c run.c');
  assert.equal(m.weights.lmHead, null);
  assert.match(m.contentHash, /^[0-9a-f]{64}$/);
});

test('greedy decoding from BOS with the float64 reference reproduces the golden 64 ids', async () => {
  const m = await stories();
  const ids = referenceGreedy(new ReferenceModel(m.config, m.weights), golden.prompt_ids, 64);
  assert.deepEqual(ids, golden.greedy_ids_64);
});

test('teacher-forced mean NLL over the golden ids matches the recorded 0.397', async () => {
  const m = await stories();
  const model = new ReferenceModel(m.config, m.weights);
  const seq = [...golden.prompt_ids, ...golden.greedy_ids_64];
  const logits = model.forward(seq.slice(0, -1));
  let nll = 0;
  logits.forEach((l, i) => {
    const max = Math.max(...l);
    const lse = max + Math.log(l.reduce((s, v) => s + Math.exp(v - max), 0));
    nll += lse - l[seq[i + 1]!]!;
  });
  assert.ok(Math.abs(nll / golden.greedy_ids_64.length - golden.mean_nll_teacher_forced) < 1e-6);
});

test('without the RoPE row permutation the golden output is not reproduced', async () => {
  const m = await stories();
  const { headDim, numHeads, numKvHeads, hiddenSize } = m.config;
  // Invert the import's row permutation: permuting the row indices tells where each original row went.
  const unpermute = (w: Float32Array, heads: number) => {
    const out = new Float32Array(w.length);
    const permuted = permuteInterleavedToHalf(Float32Array.from({ length: heads * headDim }, (_, i) => i), heads, headDim, 1);
    permuted.forEach((src, dst) => out.set(w.subarray(dst * hiddenSize, (dst + 1) * hiddenSize), src * hiddenSize));
    return out;
  };
  const layers = m.weights.layers.map((l) => ({ ...l, q: unpermute(l.q, numHeads), k: unpermute(l.k, numKvHeads) }));
  const ids = referenceGreedy(new ReferenceModel(m.config, { ...m.weights, layers }), golden.prompt_ids, 16);
  assert.notDeepEqual(ids, golden.greedy_ids_64.slice(0, 16));
});

test('reference forward continues from its KV cache: chunked equals one-shot', async () => {
  const m = await stories();
  const model = new ReferenceModel(m.config, m.weights);
  const seq = [1, ...golden.greedy_ids_64.slice(0, 9)];
  const whole = model.forward(seq);
  model.reset();
  const parts = [...model.forward(seq.slice(0, 4)), ...model.forward(seq.slice(4, 5)), ...model.forward(seq.slice(5))];
  assert.equal(parts.length, whole.length);
  parts.forEach((l, i) => assert.deepEqual(l, whole[i]));
  assert.equal(model.numCachedTokens, seq.length);
});

test('llama2.c folders: a truncated checkpoint is invalid_model, a missing tok*.bin is missing_file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mini-dynamo-l2c-'));
  try {
    const bin = readFileSync(join(defaultModelDir(), 'stories260K.bin'));
    await writeFile(join(dir, 'stories260K.bin'), bin.subarray(0, 5000));
    const truncated = await loadModel(dir);
    assert.ok(!truncated.ok && truncated.error.code === 'invalid_model' && truncated.error.message.includes('stories260K.bin'));
    await copyFile(join(defaultModelDir(), 'stories260K.bin'), join(dir, 'stories260K.bin'));
    assert.ok((await loadModel(dir)).ok);
    const tok = await loadTokenizer(dir);
    assert.ok(!tok.ok && tok.error.code === 'missing_file' && tok.error.message.includes('tok*.bin'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
