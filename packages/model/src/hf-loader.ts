// Loads a Hugging Face Llama-family folder (config.json + model.safetensors or a sharded index) into LlamaWeights.
// Invariant: every tensor is shape-checked against the config; a tied model ignores any stored lm_head.

import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaConfig } from './llama-config.js';
import type { LlamaLayerWeights, LlamaWeights } from './llama-weights.js';
import { parseHfConfig } from './hf-config.js';
import { parseSafetensors, readTensor, type SafetensorsFile } from './safetensors.js';
import { fail } from './model-load-error.js';
import { readJson, readJsonIfPresent } from './json-file.js';

export const HF_SINGLE_WEIGHTS = 'model.safetensors';
export const HF_WEIGHTS_INDEX = 'model.safetensors.index.json';

export async function readHfConfig(dir: string): Promise<LlamaConfig> {
  const raw = await readJson(join(dir, 'config.json'));
  return parseHfConfig(raw, 'config.json', await readJsonIfPresent(join(dir, 'generation_config.json')));
}

/** The weight files of a folder (one file, or every shard named by the index), in a stable order. */
export async function hfWeightFiles(dir: string): Promise<string[]> {
  const index = await readJsonIfPresent(join(dir, HF_WEIGHTS_INDEX));
  if (index !== null) {
    const map = index['weight_map'];
    if (typeof map !== 'object' || map === null) fail('invalid_model', `${HF_WEIGHTS_INDEX}: no weight_map`);
    const shards = [...new Set(Object.values(map as Record<string, string>))].sort();
    for (const s of shards) if (!existsSync(join(dir, s))) fail('missing_file', `shard ${s} named by ${HF_WEIGHTS_INDEX} not found in ${dir}`);
    return shards;
  }
  if (existsSync(join(dir, HF_SINGLE_WEIGHTS))) return [HF_SINGLE_WEIGHTS];
  const pytorch = existsSync(join(dir, 'pytorch_model.bin')) ? ' (PyTorch pytorch_model.bin is not supported: convert it to safetensors)' : '';
  return fail('missing_file', `no weights in ${dir}: expected ${HF_SINGLE_WEIGHTS} or ${HF_WEIGHTS_INDEX}${pytorch}`);
}

/** Tensor name → the parsed file holding it, over all shards. */
async function openTensors(dir: string, files: string[]): Promise<Map<string, SafetensorsFile>> {
  const byName = new Map<string, SafetensorsFile>();
  for (const f of files) {
    const st = parseSafetensors(await readFile(join(dir, f)), f);
    for (const name of st.tensors.keys()) byName.set(name, st);
  }
  return byName;
}

type LayerKey = keyof LlamaLayerWeights;

/** One tensor of the HF layout: its name, shape and where it lives in LlamaWeights. */
export interface HfTensorSpec {
  name: string;
  shape: number[];
  /** null: a model-level tensor (embed, norm, lm_head). */
  layer: number | null;
  key: LayerKey | 'embedTokens' | 'finalNorm' | 'lmHead';
}

/** Every tensor a Llama-family HF checkpoint of this config holds (the one name mapping, load and write). */
export function hfTensorSpecs(config: LlamaConfig): HfTensorSpec[] {
  const { hiddenSize: h, intermediateSize: inter, vocabSize } = config;
  const qDim = config.numHeads * config.headDim;
  const kvDim = config.numKvHeads * config.headDim;
  const perLayer: [LayerKey, string, number[]][] = [
    ['inputNorm', 'input_layernorm.weight', [h]],
    ['q', 'self_attn.q_proj.weight', [qDim, h]],
    ['k', 'self_attn.k_proj.weight', [kvDim, h]],
    ['v', 'self_attn.v_proj.weight', [kvDim, h]],
    ...(config.attentionBias
      ? ([['qBias', 'self_attn.q_proj.bias', [qDim]], ['kBias', 'self_attn.k_proj.bias', [kvDim]], ['vBias', 'self_attn.v_proj.bias', [kvDim]]] as [LayerKey, string, number[]][])
      : []),
    ['o', 'self_attn.o_proj.weight', [h, qDim]],
    ['postAttentionNorm', 'post_attention_layernorm.weight', [h]],
    ['gate', 'mlp.gate_proj.weight', [inter, h]],
    ['up', 'mlp.up_proj.weight', [inter, h]],
    ['down', 'mlp.down_proj.weight', [h, inter]],
  ];
  const specs: HfTensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [vocabSize, h], layer: null, key: 'embedTokens' }];
  for (let l = 0; l < config.numLayers; l++) {
    for (const [key, suffix, shape] of perLayer) specs.push({ name: `model.layers.${l}.${suffix}`, shape, layer: l, key });
  }
  specs.push({ name: 'model.norm.weight', shape: [h], layer: null, key: 'finalNorm' });
  if (!config.tieWordEmbeddings) specs.push({ name: 'lm_head.weight', shape: [vocabSize, h], layer: null, key: 'lmHead' });
  return specs;
}

/** The tensor a spec names, read out of loaded weights (for writing checkpoints). */
export function tensorOf(weights: LlamaWeights, spec: HfTensorSpec): Float32Array {
  const t = spec.layer === null ? weights[spec.key as 'embedTokens' | 'finalNorm' | 'lmHead'] : weights.layers[spec.layer]![spec.key as LayerKey];
  if (!(t instanceof Float32Array)) throw new Error(`weights have no ${spec.name}`);
  return t;
}

function emptyLayer(): LlamaLayerWeights {
  const none = new Float32Array(0);
  return {
    inputNorm: none, q: none, k: none, v: none, qBias: null, kBias: null, vBias: null,
    o: none, postAttentionNorm: none, gate: none, up: none, down: none,
  };
}

export async function loadHfWeights(dir: string, config: LlamaConfig, files: string[]): Promise<LlamaWeights> {
  const byName = await openTensors(dir, files);
  const none = new Float32Array(0);
  const weights: LlamaWeights = {
    embedTokens: none, finalNorm: none, lmHead: null,
    layers: Array.from({ length: config.numLayers }, emptyLayer),
  };
  for (const spec of hfTensorSpecs(config)) {
    const st = byName.get(spec.name);
    if (st === undefined) fail('invalid_model', `tensor ${spec.name} not found in ${files.join(', ')}`);
    const data = readTensor(st, spec.name, spec.shape);
    if (spec.layer === null) weights[spec.key as 'embedTokens' | 'finalNorm' | 'lmHead'] = data;
    else (weights.layers[spec.layer] as unknown as Record<string, Float32Array>)[spec.key] = data;
  }
  return weights;
}
