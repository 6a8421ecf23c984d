// Parses a Hugging Face config.json (+ generation_config.json) of the Llama family into a LlamaConfig.
// Invariant: anything the canonical layout cannot represent is rejected with a message naming the field.

import type { LlamaArchitecture, LlamaConfig, Llama3RopeScaling } from './llama-config.js';
import { fail } from './model-load-error.js';

export const SUPPORTED_ARCHITECTURES: readonly LlamaArchitecture[] = ['LlamaForCausalLM', 'MistralForCausalLM', 'Qwen2ForCausalLM'];

const MODEL_TYPE_ARCH: Record<string, LlamaArchitecture> = {
  llama: 'LlamaForCausalLM', mistral: 'MistralForCausalLM', qwen2: 'Qwen2ForCausalLM',
};

type Json = Record<string, unknown>;

function architectureOf(raw: Json, file: string): LlamaArchitecture {
  const archs = raw['architectures'];
  const named = Array.isArray(archs) && typeof archs[0] === 'string' ? archs[0] : null;
  const arch = named ?? MODEL_TYPE_ARCH[String(raw['model_type'])] ?? null;
  if (arch === null) fail('invalid_model', `${file}: no "architectures" or known "model_type"`);
  if (!SUPPORTED_ARCHITECTURES.includes(arch as LlamaArchitecture)) {
    fail('unsupported_architecture', `${file}: architecture ${arch} is not supported (supported: ${SUPPORTED_ARCHITECTURES.join(', ')})`);
  }
  return arch as LlamaArchitecture;
}

function positiveInt(raw: Json, key: string, file: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) fail('invalid_model', `${file}: "${key}" must be a positive integer (got ${JSON.stringify(v)})`);
  return v;
}

function numberOr(raw: Json, key: string, fallback: number, file: string): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail('invalid_model', `${file}: "${key}" must be a number (got ${JSON.stringify(v)})`);
  return v;
}

function ropeScalingOf(raw: Json, file: string): Llama3RopeScaling | null {
  const s = raw['rope_scaling'] as Json | null | undefined;
  if (s === null || s === undefined) return null;
  const type = s['rope_type'] ?? s['type'];
  if (type === 'default') return null;
  if (type !== 'llama3') fail('unsupported_architecture', `${file}: rope_scaling type ${JSON.stringify(type)} is not supported (only llama3)`);
  return {
    ropeType: 'llama3',
    factor: numberOr(s, 'factor', NaN, file),
    lowFreqFactor: numberOr(s, 'low_freq_factor', NaN, file),
    highFreqFactor: numberOr(s, 'high_freq_factor', NaN, file),
    originalMaxPositionEmbeddings: positiveInt(s, 'original_max_position_embeddings', file),
  };
}

/** An int or a list of ints (HF allows both for eos_token_id); [] when absent. */
function tokenIdList(v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (Array.isArray(v)) return v.filter((x): x is number => typeof x === 'number');
  return [];
}

/**
 * BOS and EOS ids of a HF folder: generation_config.json's win over config.json's (EOS: a non-empty list or an id).
 * Used by the model config and by the tokenizer, which must agree.
 */
export function hfSpecialTokenIds(config: Json, generation: Json | null): { bosTokenId: number | null; eosTokenIds: number[] } {
  const bos = generation?.['bos_token_id'] ?? config['bos_token_id'];
  const eosFromGeneration = tokenIdList(generation?.['eos_token_id']);
  return {
    bosTokenId: typeof bos === 'number' ? bos : null,
    eosTokenIds: eosFromGeneration.length > 0 ? eosFromGeneration : tokenIdList(config['eos_token_id']),
  };
}

function rejectUnsupported(raw: Json, arch: LlamaArchitecture, file: string): void {
  const act = raw['hidden_act'] ?? 'silu';
  if (act !== 'silu') fail('unsupported_architecture', `${file}: hidden_act ${JSON.stringify(act)} is not supported (only silu)`);
  if (raw['mlp_bias'] === true) fail('unsupported_architecture', `${file}: mlp_bias is not supported`);
  if (arch === 'LlamaForCausalLM' && raw['attention_bias'] === true) {
    fail('unsupported_architecture', `${file}: Llama attention_bias (o_proj bias) is not supported`);
  }
  if (raw['rope_interleaved'] === true) fail('unsupported_architecture', `${file}: rope_interleaved is not supported`);
}

/** Mistral/Qwen2 sliding-window attention: capping the context at the window keeps full attention exact. */
function slidingWindowCap(raw: Json, arch: LlamaArchitecture): number | null {
  const window = raw['sliding_window'];
  if (typeof window !== 'number') return null;
  if (arch === 'MistralForCausalLM') return window;
  if (arch === 'Qwen2ForCausalLM' && raw['use_sliding_window'] === true) return window;
  return null;
}

export function parseHfConfig(raw: Json, file = 'config.json', generation: Json | null = null): LlamaConfig {
  const architecture = architectureOf(raw, file);
  rejectUnsupported(raw, architecture, file);
  const hiddenSize = positiveInt(raw, 'hidden_size', file);
  const numHeads = positiveInt(raw, 'num_attention_heads', file);
  const numKvHeads = positiveInt(raw, 'num_key_value_heads', file, numHeads);
  const headDim = positiveInt(raw, 'head_dim', file, hiddenSize / numHeads);
  if (headDim * numHeads !== hiddenSize) {
    fail('unsupported_architecture', `${file}: head_dim ${headDim} × ${numHeads} heads ≠ hidden_size ${hiddenSize} is not supported`);
  }
  if (numHeads % numKvHeads !== 0) fail('invalid_model', `${file}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`);
  const maxPos = positiveInt(raw, 'max_position_embeddings', file, 2048);
  const cap = slidingWindowCap(raw, architecture);
  return {
    architecture,
    hiddenSize,
    intermediateSize: positiveInt(raw, 'intermediate_size', file),
    numLayers: positiveInt(raw, 'num_hidden_layers', file),
    numHeads,
    numKvHeads,
    headDim,
    vocabSize: positiveInt(raw, 'vocab_size', file),
    maxPositionEmbeddings: cap === null ? maxPos : Math.min(maxPos, cap),
    rmsNormEps: numberOr(raw, 'rms_norm_eps', 1e-6, file),
    ropeTheta: numberOr(raw, 'rope_theta', 10000, file),
    ropeScaling: ropeScalingOf(raw, file),
    tieWordEmbeddings: raw['tie_word_embeddings'] === true,
    attentionBias: architecture === 'Qwen2ForCausalLM',
    ...hfSpecialTokenIds(raw, generation),
  };
}

const ARCH_MODEL_TYPE: Record<LlamaArchitecture, string> = {
  LlamaForCausalLM: 'llama', MistralForCausalLM: 'mistral', Qwen2ForCausalLM: 'qwen2',
};

/** The config.json a LlamaConfig reads back from (parseHfConfig(toHfConfigJson(c)) equals c). */
export function toHfConfigJson(c: LlamaConfig): Record<string, unknown> {
  const s = c.ropeScaling;
  return {
    architectures: [c.architecture],
    model_type: ARCH_MODEL_TYPE[c.architecture],
    hidden_act: 'silu',
    hidden_size: c.hiddenSize,
    intermediate_size: c.intermediateSize,
    num_hidden_layers: c.numLayers,
    num_attention_heads: c.numHeads,
    num_key_value_heads: c.numKvHeads,
    head_dim: c.headDim,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxPositionEmbeddings,
    rms_norm_eps: c.rmsNormEps,
    rope_theta: c.ropeTheta,
    rope_scaling: s === null ? null : {
      rope_type: 'llama3', factor: s.factor, low_freq_factor: s.lowFreqFactor,
      high_freq_factor: s.highFreqFactor, original_max_position_embeddings: s.originalMaxPositionEmbeddings,
    },
    tie_word_embeddings: c.tieWordEmbeddings,
    ...(c.architecture === 'LlamaForCausalLM' ? { attention_bias: false, mlp_bias: false } : {}),
    ...(c.architecture === 'MistralForCausalLM' ? { sliding_window: null } : {}),
    ...(c.architecture === 'Qwen2ForCausalLM' ? { use_sliding_window: false, sliding_window: c.maxPositionEmbeddings } : {}),
    bos_token_id: c.bosTokenId,
    eos_token_id: c.eosTokenIds.length === 1 ? c.eosTokenIds[0] : c.eosTokenIds,
    torch_dtype: 'float32',
  };
}
