// gpu-report arithmetic: per model and batch, the measured step times (ORT CUDA compact/pool, ORT CPU, PyTorch eager/
// graphs) next to the bytes-moved floor of a decode step (fp32 weights + KV read over HBM bandwidth) and the PCIe
// copies the compact design makes (whole KV blocks of the past H2D, new K/V + logits or greedy_ids D2H), and which term limits the step.
// Invariant: model shapes come from @mini-dynamo/model (configs + kvBytesPerToken), never hard-coded here; the one
// runner constant, RUNNER_BLOCK_SIZE (runner-throughput.ts), is checked against a real OrtModelRunner by gpu-report.test.ts.

import { hfTensorSpecs, kvBytesPerToken, type LlamaConfig } from '@mini-dynamo/model';
import { BENCH_MODELS, loadBenchConfig } from './bench-models.js';
import { RUNNER_BLOCK_SIZE } from './runner-throughput.js';
import type { GpuReportInputs, ThroughputFile, TorchDecodeFile, Transfer } from './gpu-report-inputs.js';

export interface ModelShape {
  key: string;
  label: string;
  numParams: number;
  weightBytes: number;
  kvBytesPerToken: number;
  vocabSize: number;
}

function modelShape(key: string, label: string, config: LlamaConfig): ModelShape {
  const numParams = hfTensorSpecs(config).reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
  return { key, label, numParams, weightBytes: 4 * numParams, kvBytesPerToken: kvBytesPerToken(config), vocabSize: config.vocabSize };
}

/** The bench models (bench-models.ts), keyed as modelKey() names them, from their config files. */
export async function loadReportShapes(): Promise<Map<string, ModelShape>> {
  const shapes = new Map<string, ModelShape>();
  for (const m of BENCH_MODELS) shapes.set(m.key, modelShape(m.key, m.label, await loadBenchConfig(m.key)));
  return shapes;
}

/** runner-throughput ("stories260K", "smollm2-135m-shape-random") and torch-decode ("stories260k", …) names → one key. */
export function modelKey(name: string): string {
  const n = name.toLowerCase();
  if (n.includes('smollm2')) return 'smollm2-random';
  if (n.includes('stories260k')) return 'stories260k';
  return n;
}

/** Mean keys a decode step attends (its past plus itself): the prompt plus half the output. */
export const meanContext = (promptTokens: number, outputTokens: number): number => promptTokens + outputTokens / 2;

/** Compact uploads whole blocks of the runner's default size (runner-throughput sets none). */
export { RUNNER_BLOCK_SIZE };

/**
 * Mean KV tokens a compact-transfer decode step uploads: the o − 1 decode steps compute positions p = prompt …
 * prompt + o − 2 and upload the ceil(p / blockSize) whole blocks of their past (the new token's K/V is computed in
 * the graph), e.g. 70.6 tokens for 32 + 64 at block 16 against the 64 keys attended.
 */
export function compactKvTokens(promptTokens: number, outputTokens: number, blockSize = RUNNER_BLOCK_SIZE): number {
  const numSteps = outputTokens - 1;
  if (numSteps < 1) return 0;
  let sum = 0;
  for (let p = promptTokens; p < promptTokens + numSteps; p++) sum += Math.ceil(p / blockSize) * blockSize;
  return sum / numSteps;
}

export interface MeasuredTransfer { GBps: number; pinned: boolean; bytes: number }

/** The measured transfer in `direction` (pageable preferred) whose size is nearest `bytes` on a log scale. */
export function transferFor(transfers: readonly Transfer[], direction: 'h2d' | 'd2h', bytes: number): MeasuredTransfer | null {
  const same = transfers.filter((t) => t.direction === direction && t.GBps > 0);
  const pool = same.some((t) => !t.pinned) ? same.filter((t) => !t.pinned) : same;
  let best: Transfer | null = null;
  for (const t of pool) {
    if (best === null || Math.abs(Math.log(t.bytes / Math.max(bytes, 1))) < Math.abs(Math.log(best.bytes / Math.max(bytes, 1)))) best = t;
  }
  return best === null ? null : { GBps: best.GBps, pinned: best.pinned, bytes: best.bytes };
}

export interface StepFloor {
  weightBytes: number;
  kvReadBytes: number;
  /** Bytes a decode step must read from HBM: weights + KV. */
  hbmBytes: number;
  hbmMs: number | null;
  /** Compact design: the KV blocks of the step's past, host → device (index and mask inputs, < 0.1 MB, left out). */
  h2dBytes: number;
  /** New K/V (B·kvBytesPerToken) + logits (B·vocab·4) or, for greedy steps with ArgMax in the graph, ids (B·4), device → host. */
  d2hBytes: number;
  h2d: MeasuredTransfer | null;
  d2h: MeasuredTransfer | null;
  /** Estimated copy time per step over the measured (pageable) PCIe bandwidth. */
  pcieMs: number | null;
}

const msFor = (bytes: number, GBps: number): number => (bytes / (GBps * 1e9)) * 1000;

/**
 * `context`: mean keys attended (HBM floor); `uploadedKvTokens`: mean KV tokens uploaded per sequence (default: context);
 * `logitsFetched`: false when the run fetched the graph's greedy_ids instead of the logits.
 */
export function stepFloor(shape: ModelShape, batch: number, context: number, hbmGBps: number | null, transfers: readonly Transfer[],
  uploadedKvTokens = context, logitsFetched = true): StepFloor {
  const kvReadBytes = batch * context * shape.kvBytesPerToken;
  const hbmBytes = shape.weightBytes + kvReadBytes;
  const h2dBytes = batch * uploadedKvTokens * shape.kvBytesPerToken;
  const d2hBytes = batch * shape.kvBytesPerToken + batch * (logitsFetched ? shape.vocabSize * 4 : 4);
  const h2d = transferFor(transfers, 'h2d', h2dBytes);
  const d2h = transferFor(transfers, 'd2h', d2hBytes);
  return {
    weightBytes: shape.weightBytes, kvReadBytes, hbmBytes, hbmMs: hbmGBps === null ? null : msFor(hbmBytes, hbmGBps),
    h2dBytes, d2hBytes, h2d, d2h, pcieMs: h2d === null || d2h === null ? null : msFor(h2dBytes, h2d.GBps) + msFor(d2hBytes, d2h.GBps),
  };
}

export type Term = 'pcie' | 'other' | 'hbm';

export interface TermBreakdown { hbmMs: number; pcieMs: number; otherMs: number; largest: Term }

/** Splits a measured step into HBM floor, PCIe copies and everything else (the remainder, ≥ 0); names the largest. */
export function limitingTerm(measuredMs: number, floor: StepFloor): TermBreakdown | null {
  if (floor.hbmMs === null || floor.pcieMs === null) return null;
  const otherMs = Math.max(0, measuredMs - floor.hbmMs - floor.pcieMs);
  const terms: [Term, number][] = [['pcie', floor.pcieMs], ['other', otherMs], ['hbm', floor.hbmMs]];
  const largest = terms.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return { hbmMs: floor.hbmMs, pcieMs: floor.pcieMs, otherMs, largest };
}

/** ms: wall time ÷ steps, prefill included (one prefill step + o − 1 decode steps, as the engine runs them). */
interface Measured { ms: number; tps: number }

export interface GpuRow {
  model: string;
  label: string;
  batch: number;
  compact: Measured | null;
  pool: Measured | null;
  /** The compact run with logits fetched + JS argmax (ort-cuda-compact-logits.json, optional). */
  logits: Measured | null;
  cpu: Measured | null;
  eager: (Measured & { decodeMs: number }) | null;
  graphs: (Measured & { decodeMs: number }) | null;
  floor: StepFloor;
  terms: TermBreakdown | null;
}

function ortByKey(file: ThroughputFile | null): Map<string, Measured> {
  return new Map((file?.rows ?? []).map((r) => [`${modelKey(r.model)}|${r.concurrency}`, { ms: r.meanStepMs, tps: r.batchedTokensPerSecond }]));
}

/** PyTorch rows on ORT's footing: ms = (prefill + (o − 1) decode steps) ÷ o; decodeMs = the median decode step. */
function torchByKey(file: TorchDecodeFile | null): Map<string, Measured & { decodeMs: number }> {
  const o = file?.opts.outputTokens ?? 1;
  return new Map((file?.rows ?? []).map((r) => [`${modelKey(r.model)}|${r.batch}`,
    { ms: (r.prefillMs + (o - 1) * r.stepMsMedian) / o, tps: r.tokensPerSecond, decodeMs: r.stepMsMedian }]));
}

/** The workload's prompt/output lengths: from the ORT runs, else PyTorch's, else runner-throughput's GPU defaults. */
export function workloadOf(inputs: GpuReportInputs): { promptTokens: number; outputTokens: number } {
  const o = inputs.ortCompact?.opts ?? inputs.ortCpu?.opts ?? inputs.torchEager?.opts ?? { promptTokens: 32, outputTokens: 64 };
  return { promptTokens: o.promptTokens, outputTokens: o.outputTokens };
}

/** One row per (model, batch) measured anywhere, in `shapes` order then by batch; models without a shape are skipped. */
export function gpuRows(inputs: GpuReportInputs, shapes: ReadonlyMap<string, ModelShape>): GpuRow[] {
  const sources = { compact: ortByKey(inputs.ortCompact), pool: ortByKey(inputs.ortPool), logits: ortByKey(inputs.ortCompactLogits), cpu: ortByKey(inputs.ortCpu),
    eager: torchByKey(inputs.torchEager), graphs: torchByKey(inputs.torchGraphs) };
  const keys = new Set(Object.values(sources).flatMap((m) => [...m.keys()]));
  const { promptTokens, outputTokens } = workloadOf(inputs);
  const context = meanContext(promptTokens, outputTokens);
  const uploaded = compactKvTokens(promptTokens, outputTokens);
  const hbmGBps = inputs.bandwidth?.d2dReadWriteGBps ?? null;
  const transfers = inputs.bandwidth?.transfers ?? [];
  const logitsFetched = inputs.ortCompact?.opts.greedyArgmax !== 'graph'; // the runs are greedy
  const rows: GpuRow[] = [];
  for (const shape of shapes.values()) {
    const batches = [...keys].filter((k) => k.startsWith(`${shape.key}|`)).map((k) => Number(k.split('|')[1])).sort((a, b) => a - b);
    for (const batch of batches) {
      const k = `${shape.key}|${batch}`;
      const floor = stepFloor(shape, batch, context, hbmGBps, transfers, uploaded, logitsFetched);
      const compact = sources.compact.get(k) ?? null;
      rows.push({
        model: shape.key, label: shape.label, batch, compact, pool: sources.pool.get(k) ?? null, logits: sources.logits.get(k) ?? null, cpu: sources.cpu.get(k) ?? null,
        eager: sources.eager.get(k) ?? null, graphs: sources.graphs.get(k) ?? null, floor,
        terms: compact === null ? null : limitingTerm(compact.ms, floor),
      });
    }
  }
  return rows;
}
