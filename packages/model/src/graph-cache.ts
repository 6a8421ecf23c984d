// On-disk cache of built step graphs, keyed by (model content hash, graph version, RoPE table length).
// Invariant: a cached file is complete (written to a temp name, then renamed); a stale key is rebuilt.

import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LlamaConfig } from './llama-config.js';
import type { LlamaWeights } from './llama-weights.js';
import { buildLlamaGraph, LLAMA_GRAPH_VERSION } from './llama-graph.js';
import { writeChunks } from './onnx-builder.js';

/** Above this many weight bytes, initializers go to an external-data side file (protobuf's 2 GiB cap). */
export const EXTERNAL_DATA_THRESHOLD = 1.5 * 2 ** 30;
const REPO_CACHE = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..', '.cache', 'models');

export interface GraphModel {
  name: string;
  config: LlamaConfig;
  weights: LlamaWeights;
  /** Hash of the weights' content (loadModel's sha256, or any stable id for generated weights). */
  contentHash: string;
  /** The model's folder: the cache lives there when it is writable. */
  dir?: string;
}

export interface CachedGraph {
  path: string;
  /** True when this call built the file, false when it was reused. */
  built: boolean;
}

/** Writable for us and not marked read-only (root passes access() checks on r-x dirs; respect the mode bits). */
function isWritableDir(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return (statSync(dir).mode & 0o200) !== 0;
  } catch {
    return false;
  }
}

/** Where graphs of this model are cached: cacheDir, else the model folder if writable, else <repo>/.cache/models. */
export function graphCacheDir(model: GraphModel, cacheDir?: string): string {
  if (cacheDir !== undefined) return cacheDir;
  if (model.dir !== undefined && isWritableDir(model.dir)) return model.dir;
  return REPO_CACHE;
}

export function weightBytes(w: LlamaWeights): number {
  let n = w.embedTokens.byteLength + w.finalNorm.byteLength + (w.lmHead?.byteLength ?? 0);
  for (const l of w.layers) {
    for (const t of Object.values(l)) n += t === null ? 0 : (t as Float32Array).byteLength;
  }
  return n;
}

function fileStem(model: GraphModel): string {
  return `${model.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.step-graph`;
}

export function graphCacheKey(model: GraphModel, maxModelLen: number): string {
  const key = JSON.stringify({ contentHash: model.contentHash, version: LLAMA_GRAPH_VERSION, maxModelLen, config: model.config });
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

/** Returns the cached graph for this model, building (and replacing stale versions of) it when absent. */
export function ensureStepGraph(model: GraphModel, maxModelLen: number, cacheDir?: string, onProgress?: (msg: string) => void): CachedGraph {
  const dir = graphCacheDir(model, cacheDir);
  mkdirSync(dir, { recursive: true });
  const stem = fileStem(model);
  const path = join(dir, `${stem}.${graphCacheKey(model, maxModelLen)}.onnx`);
  const external = weightBytes(model.weights) > EXTERNAL_DATA_THRESHOLD;
  if (existsSync(path) && (!external || existsSync(`${path}.data`))) return { path, built: false };
  onProgress?.(`building ONNX step graph for ${model.name} in ${dir}`);
  for (const f of readdirSync(dir)) {
    if (f.startsWith(`${stem}.`) && (f.endsWith('.onnx') || f.endsWith('.onnx.data'))) rmSync(join(dir, f), { force: true });
  }
  const graph = buildLlamaGraph({ name: model.name, config: model.config, weights: model.weights, maxModelLen });
  const tmp = `${path}.tmp-${process.pid}`;
  // External data is referenced by file name, so it is written under its final name before the graph.
  const chunks = graph.toChunks(external ? { path: `${path}.data`, minBytes: 1024 } : null);
  writeChunks(tmp, chunks);
  renameSync(tmp, path);
  onProgress?.(`wrote ${path}`);
  return { path, built: true };
}
