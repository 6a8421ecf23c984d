import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, unlink, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel, loadModelConfig, smollm2ShapeDir } from './load-model.js';
import { writeTinyModel, type TinyModelOptions } from './tiny-model.js';
import { float16ToFloat32, float32ToFloat16, float32ToBfloat16, bfloat16ToFloat32 } from './safetensors.js';
import { ReferenceModel } from './reference-forward.js';
import type { LlamaWeights } from './llama-weights.js';

async function withTiny<T>(opts: TinyModelOptions, body: (tiny: Awaited<ReturnType<typeof writeTinyModel>>) => Promise<T>): Promise<T> {
  const tiny = await writeTinyModel(undefined, opts);
  try {
    return await body(tiny);
  } finally {
    await rm(tiny.dir, { recursive: true, force: true });
  }
}

function flatten(w: LlamaWeights): Float32Array[] {
  const layerParts = w.layers.flatMap((l) => [l.inputNorm, l.q, l.k, l.v, l.qBias, l.kBias, l.vBias, l.o, l.postAttentionNorm, l.gate, l.up, l.down]);
  return [w.embedTokens, ...layerParts, w.finalNorm, w.lmHead].filter((t): t is Float32Array => t !== null);
}

const round: Record<string, (x: number) => number> = {
  float32: (x) => x,
  float16: (x) => float16ToFloat32(float32ToFloat16(x)),
  bfloat16: (x) => bfloat16ToFloat32(float32ToBfloat16(x)),
};

for (const dtype of ['float32', 'float16', 'bfloat16'] as const) {
  for (const sharded of [false, true]) {
    test(`HF round trip: ${dtype}${sharded ? ', sharded' : ''} weights load back (rounded to the dtype)`, async () => {
      await withTiny({ dtype, sharded, config: { tieWordEmbeddings: sharded } }, async (tiny) => {
        const r = await loadModel(tiny.dir);
        assert.ok(r.ok, r.ok ? '' : r.error.message);
        assert.equal(r.value.format, 'hf');
        assert.deepEqual(r.value.config, tiny.config);
        const got = flatten(r.value.weights), want = flatten(tiny.weights);
        assert.equal(got.length, want.length);
        got.forEach((t, i) => assert.deepEqual(t, want[i]!.map(round[dtype]!)));
      });
    });
  }
}

test('fp32 HF model gives the reference the same logits as the in-memory weights; hash tracks content', async () => {
  await withTiny({ seed: 7 }, async (tiny) => {
    const r = await loadModel(tiny.dir);
    assert.ok(r.ok);
    const a = new ReferenceModel(r.value.config, r.value.weights).forward([1, 5, 300]);
    const b = new ReferenceModel(tiny.config, tiny.weights).forward([1, 5, 300]);
    assert.deepEqual(a, b);
    const again = await loadModel(tiny.dir);
    assert.ok(again.ok && again.value.contentHash === r.value.contentHash);
    await writeTinyModel(tiny.dir, { seed: 8 });
    const changed = await loadModel(tiny.dir);
    assert.ok(changed.ok && changed.value.contentHash !== r.value.contentHash);
  });
});

test('Qwen2 loads q/k/v biases and Mistral loads; llama3 rope_scaling parses', async () => {
  await withTiny({ architecture: 'Qwen2ForCausalLM' }, async (tiny) => {
    const r = await loadModel(tiny.dir);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.config.attentionBias, true);
    assert.deepEqual(r.value.weights.layers[1]!.kBias, tiny.weights.layers[1]!.kBias);
    assert.ok(r.value.weights.layers[0]!.qBias!.some((v) => v !== 0));
  });
  const ropeScaling = { ropeType: 'llama3' as const, factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 64 };
  await withTiny({ architecture: 'MistralForCausalLM', config: { ropeScaling } }, async (tiny) => {
    const r = await loadModel(tiny.dir);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.config.architecture, 'MistralForCausalLM');
    assert.deepEqual(r.value.config.ropeScaling, ropeScaling);
  });
});

test('clear errors: missing folder, missing config, unsupported architecture, missing weights, bad tensor', async () => {
  const missing = await loadModel('/nonexistent/model');
  assert.ok(!missing.ok && missing.error.code === 'missing_file' && missing.error.message.includes('/nonexistent/model'));
  const empty = await mkdtemp(join(tmpdir(), 'mini-dynamo-empty-'));
  const noConfig = await loadModel(empty);
  assert.ok(!noConfig.ok && noConfig.error.code === 'missing_file' && noConfig.error.message.includes('config.json'));
  await rm(empty, { recursive: true });
  await withTiny({}, async (tiny) => {
    await writeFile(join(tiny.dir, 'config.json'), JSON.stringify({ architectures: ['GPT2LMHeadModel'] }));
    const arch = await loadModel(tiny.dir);
    assert.ok(!arch.ok && arch.error.code === 'unsupported_architecture' && arch.error.message.includes('GPT2LMHeadModel'));
  });
  await withTiny({ sharded: true }, async (tiny) => {
    await unlink(join(tiny.dir, 'model-00002-of-00002.safetensors'));
    const shard = await loadModel(tiny.dir);
    assert.ok(!shard.ok && shard.error.code === 'missing_file' && shard.error.message.includes('model-00002-of-00002.safetensors'));
  });
  await withTiny({ config: { numLayers: 2 } }, async (tiny) => {
    const cfg = await loadModelConfig(tiny.dir);
    assert.ok(cfg.ok);
    const bigger = { ...JSON.parse(JSON.stringify(cfg.value.config)), numLayers: 3 };
    await writeFile(join(tiny.dir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], hidden_size: bigger.hiddenSize,
      intermediate_size: bigger.intermediateSize, num_hidden_layers: 3, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 512, tie_word_embeddings: true }));
    const bad = await loadModel(tiny.dir);
    assert.ok(!bad.ok && bad.error.code === 'invalid_model' && bad.error.message.includes('model.layers.2.input_layernorm.weight'));
  });
});

test('smollm2 shape folder: config loads, weights are reported missing', async () => {
  const cfg = await loadModelConfig(smollm2ShapeDir());
  assert.ok(cfg.ok, cfg.ok ? '' : cfg.error.message);
  const c = cfg.value.config;
  assert.deepEqual([c.hiddenSize, c.intermediateSize, c.numLayers, c.numHeads, c.numKvHeads, c.headDim, c.vocabSize, c.ropeTheta, c.tieWordEmbeddings],
    [576, 1536, 30, 9, 3, 64, 49152, 100000, true]);
  assert.deepEqual(c.eosTokenIds, [2]);
  const model = await loadModel(smollm2ShapeDir());
  assert.ok(!model.ok && model.error.code === 'missing_file' && model.error.message.includes('model.safetensors'));
});
