// GPU memory and utilization gauges for `--device cuda` workers, sampled from nvidia-smi every few seconds.
// Invariant: never throws into the worker; without nvidia-smi (or when it fails) the GPU series are absent
// and one line says why; a later failure removes the stale series instead of freezing them.

import { execFile } from 'node:child_process';
import { createGpuMetrics, type GpuMetrics, type Registry } from '@mini-dynamo/telemetry';

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,memory.used,memory.total,utilization.gpu', '--format=csv,noheader,nounits'];
const MIB = 1024 * 1024;

export interface GpuSample {
  index: number;
  /** null where nvidia-smi printed [N/A] / [Not Supported]. */
  memoryUsedBytes: number | null;
  memoryTotalBytes: number | null;
  utilizationRatio: number | null;
}

export interface ParsedGpuCsv { samples: GpuSample[]; numSkippedLines: number }

function field(raw: string | undefined, scale: number): number | null {
  const text = (raw ?? '').trim();
  if (!/^\d+(\.\d+)?$/.test(text)) return null; // [N/A], [Not Supported], blanks, junk
  return Number(text) * scale;
}

/** Parses `index, memory.used [MiB], memory.total [MiB], utilization.gpu [%]` lines (noheader, nounits). */
export function parseNvidiaSmiCsv(text: string): ParsedGpuCsv {
  const samples: GpuSample[] = [];
  let numSkippedLines = 0;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const cols = line.split(',');
    const index = field(cols[0], 1);
    if (cols.length !== 4 || index === null || !Number.isInteger(index)) { numSkippedLines++; continue; }
    const utilization = field(cols[3], 0.01);
    samples.push({
      index,
      memoryUsedBytes: field(cols[1], MIB),
      memoryTotalBytes: field(cols[2], MIB),
      utilizationRatio: utilization === null ? null : Math.min(utilization, 1),
    });
  }
  return { samples, numSkippedLines };
}

/** GPUs this process may use: CUDA_VISIBLE_DEVICES as numeric indices, else all (null). */
export function visibleGpuIndices(env: NodeJS.ProcessEnv = process.env): Set<number> | null {
  const value = env.CUDA_VISIBLE_DEVICES?.trim();
  if (value === undefined || value === '' || !/^\d+(,\d+)*$/.test(value)) return null; // unset, or UUIDs: report all
  return new Set(value.split(',').map(Number));
}

export type GpuQuery = () => Promise<string>;

/** Runs nvidia-smi once (5 s timeout); rejects with the spawn error (code ENOENT when it is not installed). */
export const nvidiaSmiQuery: GpuQuery = () => new Promise((resolve, reject) => {
  execFile('nvidia-smi', NVIDIA_SMI_ARGS, { timeout: 5000, encoding: 'utf8' }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
});

export interface GpuMetricsOptions {
  registry: Registry;
  intervalMs?: number;
  query?: GpuQuery;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface GpuMetricsPoller {
  /** One sample now (what the timer does); resolves true when the gauges were set. */
  sample(): Promise<boolean>;
  stop(): void;
}

/** Registers the GPU gauges on the first good sample and keeps them current until stop(). */
export function startGpuMetrics(options: GpuMetricsOptions): GpuMetricsPoller {
  const query = options.query ?? nvidiaSmiQuery;
  const log = options.log ?? ((line: string) => console.error(line));
  const visible = visibleGpuIndices(options.env);
  let metrics: GpuMetrics | null = null;
  let lastProblem: string | null = null;
  let timer: NodeJS.Timeout | null = null;

  const problem = (message: string, permanent: boolean): false => {
    if (metrics !== null) for (const g of Object.values(metrics)) g.reset();
    if (message !== lastProblem) log(`GPU metrics ${permanent ? 'off' : 'unavailable'}: ${message}`);
    lastProblem = message;
    if (permanent) stop();
    return false;
  };

  const sample = async (): Promise<boolean> => {
    let text: string;
    try {
      text = await query();
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT') return problem('nvidia-smi not found on PATH', true);
      return problem(`nvidia-smi failed: ${err.message.split('\n')[0]}`, false);
    }
    const { samples } = parseNvidiaSmiCsv(text);
    const mine = samples.filter((s) => visible === null || visible.has(s.index));
    if (mine.length === 0) return problem(`nvidia-smi listed no usable GPU: ${JSON.stringify(text.slice(0, 200))}`, false);
    metrics ??= createGpuMetrics(options.registry);
    for (const g of Object.values(metrics)) g.reset();
    for (const s of mine) {
      const labels = { gpu: String(s.index) };
      if (s.utilizationRatio !== null) metrics.gpuUtilization.set(labels, s.utilizationRatio);
      if (s.memoryUsedBytes !== null) metrics.gpuMemoryUsed.set(labels, s.memoryUsedBytes);
      if (s.memoryTotalBytes !== null) metrics.gpuMemoryTotal.set(labels, s.memoryTotalBytes);
    }
    lastProblem = null;
    return true;
  };

  function stop(): void {
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  void sample();
  timer = setInterval(() => void sample(), options.intervalMs ?? 5000);
  timer.unref();
  return { sample, stop };
}
