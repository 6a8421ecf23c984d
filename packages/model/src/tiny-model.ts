// Writes tiny random Llama-family Hugging Face folders (a few MB) for tests; never committed.
// Invariant: the tokenizer is stories260K's real 512-piece vocab (tok512.bin converted), so vocabSize ≥ 512.

import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaArchitecture, LlamaConfig } from './llama-config.js';
import type { LlamaWeights } from './llama-weights.js';
import { randomLlamaWeights, tinyLlamaConfig } from './random-weights.js';
import { toHfConfigJson } from './hf-config.js';
import { HF_SINGLE_WEIGHTS, HF_WEIGHTS_INDEX, hfTensorSpecs, tensorOf } from './hf-loader.js';
import { writeSafetensors, type TensorToWrite } from './safetensors.js';
import { llama2cTokenizerConfig, llama2cTokenizerJson, parseLlama2cVocab } from './llama2c-tokenizer.js';
import { defaultModelDir } from './load-model.js';

export type TinyModelDtype = 'float32' | 'float16' | 'bfloat16';

export interface TinyModelOptions {
  architecture?: LlamaArchitecture;
  dtype?: TinyModelDtype;
  /** Split the weights over two shards with a model.safetensors.index.json. */
  sharded?: boolean;
  seed?: number;
  config?: Partial<LlamaConfig>;
}

export interface TinyModel {
  dir: string;
  config: LlamaConfig;
  /** The fp32 weights before any fp16/bf16 rounding on disk. */
  weights: LlamaWeights;
}

/** A Zephyr-style template that exercises bos_token / eos_token and the generation prompt. */
export const TINY_CHAT_TEMPLATE =
  "{{ bos_token }}{% for message in messages %}{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

const DTYPE: Record<TinyModelDtype, 'F32' | 'F16' | 'BF16'> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };
const TOKENIZER_VOCAB = 512;

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, JSON.stringify(value, null, 2));
}

async function writeWeights(dir: string, tensors: TensorToWrite[], dtype: TinyModelDtype, sharded: boolean): Promise<void> {
  const st = DTYPE[dtype];
  if (!sharded) return writeFile(join(dir, HF_SINGLE_WEIGHTS), writeSafetensors(tensors, st));
  const half = Math.ceil(tensors.length / 2);
  const shards = [tensors.slice(0, half), tensors.slice(half)];
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  for (const [i, shard] of shards.entries()) {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    const buf = writeSafetensors(shard, st);
    await writeFile(join(dir, file), buf);
    totalSize += buf.length;
    for (const t of shard) weightMap[t.name] = file;
  }
  await writeJson(join(dir, HF_WEIGHTS_INDEX), { metadata: { total_size: totalSize }, weight_map: weightMap });
}

async function writeTokenizer(dir: string, config: LlamaConfig): Promise<void> {
  const vocab = parseLlama2cVocab(await readFile(join(defaultModelDir(), 'tok512.bin')), 'tok512.bin', TOKENIZER_VOCAB);
  await writeJson(join(dir, 'tokenizer.json'), llama2cTokenizerJson(vocab));
  await writeJson(join(dir, 'tokenizer_config.json'), {
    ...llama2cTokenizerConfig(), chat_template: TINY_CHAT_TEMPLATE, model_max_length: config.maxPositionEmbeddings,
  });
}

/** Write a tiny random model folder into dir (a fresh temp dir when omitted). */
export async function writeTinyModel(dir?: string, opts: TinyModelOptions = {}): Promise<TinyModel> {
  const architecture = opts.architecture ?? 'LlamaForCausalLM';
  const config = tinyLlamaConfig({ architecture, attentionBias: architecture === 'Qwen2ForCausalLM', ...opts.config });
  if (config.vocabSize < TOKENIZER_VOCAB) throw new RangeError(`tiny model vocabSize must be ≥ ${TOKENIZER_VOCAB} (the tokenizer's)`);
  const target = dir ?? (await mkdtemp(join(tmpdir(), 'mini-dynamo-tiny-')));
  await mkdir(target, { recursive: true });
  const weights = randomLlamaWeights(config, opts.seed ?? 1);
  const tensors = hfTensorSpecs(config).map((spec) => ({ name: spec.name, shape: spec.shape, data: tensorOf(weights, spec) }));
  await writeWeights(target, tensors, opts.dtype ?? 'float32', opts.sharded ?? false);
  await writeJson(join(target, 'config.json'), toHfConfigJson(config));
  await writeJson(join(target, 'generation_config.json'), { bos_token_id: config.bosTokenId, eos_token_id: config.eosTokenIds });
  await writeTokenizer(target, config);
  return { dir: target, config, weights };
}
