import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHfConfig, toHfConfigJson } from './hf-config.js';
import { ModelLoadFailure } from './model-load-error.js';
import { ropeInverseFrequencies } from './rope-frequencies.js';
import { tinyLlamaConfig } from './random-weights.js';

const llama3 = {
  architectures: ['LlamaForCausalLM'], hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32,
  num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256, max_position_embeddings: 131072,
  rms_norm_eps: 1e-5, rope_theta: 500000, bos_token_id: 128000, eos_token_id: [128001, 128008, 128009],
  rope_scaling: { factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192, rope_type: 'llama3' },
};

function failureOf(f: () => unknown) {
  try {
    f();
  } catch (e) {
    if (e instanceof ModelLoadFailure) return e.error;
    throw e;
  }
  return assert.fail('expected a load failure');
}

test('Llama 3.1 config: GQA, llama3 rope scaling, eos list; generation_config overrides eos', () => {
  const c = parseHfConfig(llama3);
  assert.equal(c.headDim, 128);
  assert.equal(c.numKvHeads, 8);
  assert.equal(c.tieWordEmbeddings, false);
  assert.deepEqual(c.ropeScaling, { ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  assert.deepEqual(c.eosTokenIds, [128001, 128008, 128009]);
  assert.deepEqual(parseHfConfig(llama3, 'config.json', { eos_token_id: 128009 }).eosTokenIds, [128009]);
});

test('llama3 scaling keeps high frequencies, divides low ones by factor, interpolates between', () => {
  const c = parseHfConfig(llama3);
  const plain = ropeInverseFrequencies({ ...c, ropeScaling: null });
  const scaled = ropeInverseFrequencies(c);
  const wavelen = (f: number) => (2 * Math.PI) / f;
  let numMedium = 0;
  plain.forEach((f, j) => {
    if (wavelen(f) < 8192 / 4) assert.equal(scaled[j], f);
    else if (wavelen(f) > 8192 / 1) assert.equal(scaled[j], f / 8);
    else {
      numMedium++;
      const smooth = (8192 / wavelen(f) - 1) / (4 - 1);
      assert.ok(Math.abs(scaled[j]! - ((1 - smooth) * f / 8 + smooth * f)) < 1e-15);
      assert.ok(scaled[j]! < f && scaled[j]! > f / 8);
    }
  });
  assert.ok(numMedium > 0);
  assert.equal(plain[0], 1);
  assert.ok(Math.abs(plain[63]! - Math.pow(500000, -126 / 128)) < 1e-18);
});

test('Qwen2 always has q/k/v bias; Mistral sliding window caps the context; defaults apply', () => {
  const base = { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 512 };
  const qwen = parseHfConfig({ ...base, architectures: ['Qwen2ForCausalLM'], num_key_value_heads: 2, tie_word_embeddings: true });
  assert.equal(qwen.attentionBias, true);
  assert.equal(qwen.tieWordEmbeddings, true);
  const mistral = parseHfConfig({ ...base, model_type: 'mistral', max_position_embeddings: 32768, sliding_window: 4096 });
  assert.equal(mistral.architecture, 'MistralForCausalLM');
  assert.equal(mistral.maxPositionEmbeddings, 4096);
  assert.equal(mistral.numKvHeads, 4);
  assert.equal(mistral.ropeTheta, 10000);
});

test('unsupported and invalid configs fail with the field named', () => {
  const base = { architectures: ['LlamaForCausalLM'], hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 512 };
  const cases: [Record<string, unknown>, string, string][] = [
    [{ ...base, architectures: ['GPT2LMHeadModel'] }, 'unsupported_architecture', 'GPT2LMHeadModel'],
    [{ ...base, rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'unsupported_architecture', 'yarn'],
    [{ ...base, hidden_act: 'gelu' }, 'unsupported_architecture', 'gelu'],
    [{ ...base, head_dim: 32 }, 'unsupported_architecture', 'head_dim'],
    [{ ...base, num_key_value_heads: 3 }, 'invalid_model', 'num_key_value_heads'],
    [{ ...base, hidden_size: undefined }, 'invalid_model', 'hidden_size'],
    [{ hidden_size: 64 }, 'invalid_model', 'architectures'],
  ];
  for (const [raw, code, needle] of cases) {
    const e = failureOf(() => parseHfConfig(raw));
    assert.equal(e.code, code, needle);
    assert.ok(e.message.includes(needle), e.message);
  }
});

test('toHfConfigJson round-trips every architecture', () => {
  for (const architecture of ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'] as const) {
    const c = tinyLlamaConfig({ architecture, attentionBias: architecture === 'Qwen2ForCausalLM', eosTokenIds: [2, 7] });
    assert.deepEqual(parseHfConfig(toHfConfigJson(c)), c);
  }
});
