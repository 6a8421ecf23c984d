// The files infra/gpu/measure.sh writes and `bench gpu-report` reads, looked up by name in one or more folders
// (a `serve` call and a `bench` call land in different folders). Invariant: a missing required file is an Error
// naming the file and the folders searched; a present file of the wrong shape is an Error naming the file.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ThroughputRow } from './runner-throughput.js';

export const GPU_REPORT_FILES = {
  ortCompact: 'ort-cuda-compact.json',
  ortPool: 'ort-cuda-pool.json',
  ortCompactLogits: 'ort-cuda-compact-logits.json',
  ortCpu: 'ort-cpu.json',
  torchEager: 'torch-decode.json',
  torchGraphs: 'torch-decode-graphs.json',
  bandwidth: 'bandwidth.json',
  serve: 'serve-checks.json',
} as const;

export type GpuReportFile = keyof typeof GPU_REPORT_FILES;

/** Files a report renders without (their column is left out): the logits-path baseline of the in-graph argmax. */
export const OPTIONAL_GPU_REPORT_FILES: ReadonlySet<GpuReportFile> = new Set(['ortCompactLogits']);

/** runner-throughput --json: {opts, rows}. */
export interface ThroughputFile {
  /** greedyArgmax absent: a run from before the graph had greedy_ids (logits always fetched). */
  opts: { promptTokens: number; outputTokens: number; rounds?: number; greedyArgmax?: 'graph' | 'js' };
  rows: ThroughputRow[];
}

export interface TorchDecodeRow {
  model: string;
  numParams: number;
  batch: number;
  prefillMs: number;
  stepMsMedian: number;
  stepMsP90: number;
  decodeTokensPerSecond: number;
  tokensPerSecond: number;
  cudaGraphs: boolean;
}

/** bench/gpu/torch_decode_bench.py --json. */
export interface TorchDecodeFile {
  tool: 'torch-decode';
  torch: string;
  device: string;
  gpu: string | null;
  /** cuda: 'ieee' (TF32 off, read back); null on cpu. Absent in files written before it was recorded. */
  fp32Matmul?: string | null;
  /** NVIDIA_TF32_OVERRIDE as the script saw it ('0' under measure.sh: cuBLAS never uses TF32, for ORT either). */
  tf32Override?: string | null;
  golden: { model: string; numTokens: number; matches: boolean } | null;
  opts: { promptTokens: number; outputTokens: number; cudaGraphs: boolean };
  rows: TorchDecodeRow[];
}

export interface Transfer { direction: 'h2d' | 'd2h'; pinned: boolean; bytes: number; GBps: number; msMedian: number }

/** bench/gpu/bandwidth.py --json. */
export interface BandwidthFile {
  tool: 'bandwidth';
  torch: string;
  gpu: string | null;
  d2dGBps: number | null;
  d2dReadWriteGBps: number | null;
  transfers: Transfer[];
}

/** infra/gpu/serve-check.mjs. */
export interface ServeChecksFile {
  tool: 'serve-check';
  model: string;
  maxTokens: number;
  greedy: { prompt: string; primaryText: string; baselineText: string; equal: boolean }[];
  gpuMetricLines: string[];
  stream: { text: string; numChunks: number; finishReason: string | null; firstTokenMs: number | null };
  checks: { greedyEqual: boolean; gpuMetrics: boolean | null; stream: boolean };
}

export interface GpuReportInputs {
  ortCompact: ThroughputFile | null;
  ortPool: ThroughputFile | null;
  ortCompactLogits: ThroughputFile | null;
  ortCpu: ThroughputFile | null;
  torchEager: TorchDecodeFile | null;
  torchGraphs: TorchDecodeFile | null;
  bandwidth: BandwidthFile | null;
  serve: ServeChecksFile | null;
  /** Where each file was found (null: missing). */
  paths: Record<GpuReportFile, string | null>;
}

/** What each file must have to be read (checked on the parsed JSON). */
const SHAPE: Record<GpuReportFile, (j: Record<string, unknown>) => boolean> = {
  ortCompact: (j) => Array.isArray(j.rows) && typeof j.opts === 'object',
  ortPool: (j) => Array.isArray(j.rows) && typeof j.opts === 'object',
  ortCompactLogits: (j) => Array.isArray(j.rows) && typeof j.opts === 'object',
  ortCpu: (j) => Array.isArray(j.rows) && typeof j.opts === 'object',
  torchEager: (j) => j.tool === 'torch-decode' && Array.isArray(j.rows),
  torchGraphs: (j) => j.tool === 'torch-decode' && Array.isArray(j.rows),
  bandwidth: (j) => j.tool === 'bandwidth' && Array.isArray(j.transfers),
  serve: (j) => j.tool === 'serve-check' && typeof j.checks === 'object',
};

function findFile(dirs: readonly string[], name: string): string | null {
  for (const d of dirs) if (existsSync(join(d, name))) return join(d, name);
  return null;
}

function readChecked(key: GpuReportFile, path: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || !SHAPE[key](parsed as Record<string, unknown>)) {
    throw new Error(`${path}: not a ${GPU_REPORT_FILES[key]} as measure.sh writes it`);
  }
  return parsed;
}

/**
 * Reads every GPU_REPORT_FILES entry from the first folder of `dirs` holding it. Missing files throw (naming them)
 * unless `allowMissing`, in which case they are null.
 */
export function readGpuReportInputs(dirs: readonly string[], { allowMissing = false } = {}): GpuReportInputs {
  if (dirs.length === 0) throw new Error('gpu-report needs --dir <folder with the files measure.sh wrote>');
  for (const d of dirs) if (!existsSync(d)) throw new Error(`--dir ${d} does not exist`);
  const keys = Object.keys(GPU_REPORT_FILES) as GpuReportFile[];
  const paths = Object.fromEntries(keys.map((k) => [k, findFile(dirs, GPU_REPORT_FILES[k])])) as Record<GpuReportFile, string | null>;
  const missing = keys.filter((k) => paths[k] === null && !OPTIONAL_GPU_REPORT_FILES.has(k)).map((k) => GPU_REPORT_FILES[k]);
  if (missing.length > 0 && !allowMissing) {
    throw new Error(`missing ${missing.join(', ')} in ${dirs.join(', ')} (run measure.sh serve and bench; --allow-missing renders what is there)`);
  }
  const read = <T>(k: GpuReportFile): T | null => (paths[k] === null ? null : readChecked(k, paths[k]) as T);
  return {
    ortCompact: read('ortCompact'), ortPool: read('ortPool'), ortCompactLogits: read('ortCompactLogits'), ortCpu: read('ortCpu'),
    torchEager: read('torchEager'), torchGraphs: read('torchGraphs'), bandwidth: read('bandwidth'), serve: read('serve'), paths,
  };
}
