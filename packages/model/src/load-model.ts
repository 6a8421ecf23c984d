// The one entry point for model folders: detects HF vs llama2.c, loads config + fp32 weights, hashes content.
// Invariant: expected failures (missing files, unsupported architectures, corrupt files) are Result errors.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Result } from '@mini-dynamo/protocol';
import type { LlamaConfig } from './llama-config.js';
import type { LlamaWeights } from './llama-weights.js';
import { hfWeightFiles, loadHfWeights, readHfConfig } from './hf-loader.js';
import { parseLlama2cCheckpoint, readLlama2cHeader, llama2cConfig } from './llama2c-loader.js';
import { catchModelLoad, fail, type ModelLoadError } from './model-load-error.js';

export type ModelFormat = 'hf' | 'llama2c';

export interface ModelConfigInfo {
  /** The folder's base name (served as the OpenAI model id). */
  name: string;
  /** Absolute folder path. */
  dir: string;
  format: ModelFormat;
  config: LlamaConfig;
}

export interface LoadedModel extends ModelConfigInfo {
  weights: LlamaWeights;
  /** sha256 (hex) over the config and weight files: the graph cache key. */
  contentHash: string;
}

/** Bump when the import changes what weights a file yields (invalidates graph caches). */
const LOADER_VERSION = 'mini-dynamo-model-loader-v1';

const PACKAGE_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const REPO_ROOT = resolve(PACKAGE_ROOT, '..', '..');

/**
 * The project's shared folder (models it cannot download): $MINI_DYNAMO_SHARED_DIR when set, else ../shared beside
 * the repo (where CI puts it; .ci/run sets the variable for a clone of a local checkout that has ../shared beside it).
 */
export function sharedDir(): string {
  return process.env.MINI_DYNAMO_SHARED_DIR || resolve(REPO_ROOT, '..', 'shared');
}

/** shared/models/stories260K: the default model to serve. */
export function defaultModelDir(): string {
  return resolve(sharedDir(), 'models', 'stories260K');
}

/** SmolLM2-135M-Instruct's config + tokenizer without weights (realistic shape for speed tests). */
export function smollm2ShapeDir(): string {
  return resolve(sharedDir(), 'models', 'smollm2-135m-instruct-shape');
}

interface Llama2cFiles { checkpoint: string; tokenizer: string | null }

/** The llama2.c checkpoint (`*.bin` not named tok*) and tokenizer (`tok*.bin`) of a folder, if any. */
export function llama2cFiles(dir: string): Llama2cFiles | null {
  const bins = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
  const checkpoints = bins.filter((f) => !f.startsWith('tok'));
  if (checkpoints.length === 0) return null;
  if (checkpoints.length > 1) fail('invalid_model', `${dir}: several llama2.c checkpoints (${checkpoints.join(', ')}); keep one per folder`);
  const toks = bins.filter((f) => f.startsWith('tok'));
  return { checkpoint: checkpoints[0]!, tokenizer: toks[0] ?? null };
}

export function detectFormat(dir: string): ModelFormat {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail('missing_file', `model folder ${dir} does not exist`);
  if (existsSync(join(dir, 'config.json'))) return 'hf';
  if (llama2cFiles(dir) !== null) return 'llama2c';
  return fail('missing_file', `${dir}: no config.json (Hugging Face folder) and no llama2.c *.bin checkpoint`);
}

async function readConfigInfo(dir: string): Promise<ModelConfigInfo> {
  const abs = resolve(dir);
  const format = detectFormat(abs);
  const name = basename(abs);
  if (format === 'hf') return { name, dir: abs, format, config: await readHfConfig(abs) };
  const file = llama2cFiles(abs)!.checkpoint;
  return { name, dir: abs, format, config: llama2cConfig(await readLlama2cHeader(join(abs, file), file)) };
}

/** Config only (no weights): pairs with randomLlamaWeights for shape-only folders such as smollm2ShapeDir(). */
export function loadModelConfig(dir: string): Promise<Result<ModelConfigInfo, ModelLoadError>> {
  return catchModelLoad(`the model config in ${dir}`, () => readConfigInfo(dir));
}

async function hashFiles(dir: string, files: string[]): Promise<string> {
  const hash = createHash('sha256').update(LOADER_VERSION);
  for (const f of files) {
    hash.update(`\0${f}\0`);
    for await (const chunk of createReadStream(join(dir, f))) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

export function loadModel(dir: string): Promise<Result<LoadedModel, ModelLoadError>> {
  return catchModelLoad(`the model in ${dir}`, async () => {
    const info = await readConfigInfo(dir);
    if (info.format === 'llama2c') {
      const file = llama2cFiles(info.dir)!.checkpoint;
      const { weights } = parseLlama2cCheckpoint(await readFile(join(info.dir, file)), file);
      return { ...info, weights, contentHash: await hashFiles(info.dir, [file]) };
    }
    const files = await hfWeightFiles(info.dir);
    const weights = await loadHfWeights(info.dir, info.config, files);
    const hashed = ['config.json', ...(existsSync(join(info.dir, 'generation_config.json')) ? ['generation_config.json'] : []), ...files];
    return { ...info, weights, contentHash: await hashFiles(info.dir, hashed) };
  });
}
