// The ModelRunner on ONNX Runtime: one session.run() per scheduler step over the cached step graph,
// KV in a JS-owned paged pool passed zero-copy; greedy and sampled sequences (temperature, top-k, top-p, min-p), with or
// without an allowed-token mask, take their token from the graph (graph-picks.ts); logits are fetched only when some sequence needs them in JS;
// speculative drafts are verified in the same run (step-picks.ts). Invariant: step() calls never overlap (engine contract); the pool
// is written only after a run, at the new tokens' slots — all k + 1 of a draft row (the next step overwrites the rejected ones).

import * as ort from 'onnxruntime-node';
import { err, ok, type ModelRunner, type ModelRunnerInfo, type Result, type StepBatch, type StepOutput } from '@mini-dynamo/protocol';
import { ensureStepGraph, type GraphModel } from './graph-cache.js';
import { cudaError } from './cuda-diagnosis.js';
import { compactKv, defaultNumBlocks, KvPool } from './kv-pool.js';
import { graphDraws, graphPick, type GraphDraws } from './graph-picks.js';
import { maskBytesPerRow } from './graph-pick-ops.js';
import { stepOutput } from './step-picks.js';
import { logitsRowsOf, packStep, type PackedStep } from './step-packing.js';

export type OrtDevice = 'cpu' | 'cuda';
/**
 * How the KV pool reaches the session each step: 'pool' passes the whole pool (zero-copy on the CPU EP);
 * 'compact' passes only the slots the step reads (what the CUDA EP, which copies every input, should get).
 */
export type KvTransfer = 'pool' | 'compact';
/**
 * Where greedy tokens are picked: 'graph' fetches the step graph's greedy_ids (ArgMax in the graph) instead of
 * logits when no sequence of the step needs them; 'js' always fetches logits and samples in JS (baseline).
 */
export type GreedyArgmax = 'graph' | 'js';
/**
 * Where temperature-only sequences (see graphPick in graph-picks.ts) are sampled: 'graph' feeds their temperature and uniform
 * draw and reads the graph's sampled_ids; 'js' samples them in JS from fetched logits (baseline).
 */
export type TemperatureSampling = 'graph' | 'js';
/**
 * Where sequences with an allowed-token mask (and no other logits processing) are picked when greedy or
 * temperature-only: 'graph' feeds the mask (allowed_mask) and reads sampled_greedy_ids / sampled_ids; 'js' fetches logits.
 */
export type MaskedPicks = 'graph' | 'js';
/** Where top-k / top-p / min-p sequences are sampled: 'graph' reads top_k_ids / top_p_ids / sampled_ids; 'js' fetches logits. */
export type TruncatedSampling = 'graph' | 'js';
/**
 * Which outputs a step fetched besides new_kv: 'argmax' = greedy_ids only, 'sampled' = sampled_ids or
 * sampled_greedy_ids (+ greedy_ids), 'logits' = logits (+ those when some sequence is picked in the graph).
 */
export type StepFetch = 'argmax' | 'sampled' | 'logits';

export interface OrtModelRunnerOptions {
  model: GraphModel;
  blockSize?: number;
  numBlocks?: number;
  /** Longest sequence served (RoPE table length); default min(config.maxPositionEmbeddings, 32768). */
  maxModelLen?: number;
  device?: OrtDevice;
  /** Default: 'pool' on the CPU EP, 'compact' on CUDA. */
  kvTransfer?: KvTransfer;
  /** Default 'graph'. */
  greedyArgmax?: GreedyArgmax;
  /** Default 'graph'. */
  temperatureSampling?: TemperatureSampling;
  /** Default 'graph'. */
  maskedPicks?: MaskedPicks;
  /** Default 'graph'. */
  truncatedSampling?: TruncatedSampling;
  cacheDir?: string;
  intraOpNumThreads?: number;
  onProgress?: (msg: string) => void;
}

export interface OrtRunnerError {
  code: 'invalid_options' | 'graph_build_failed' | 'session_failed' | 'cuda_unavailable';
  message: string;
}

export class OrtModelRunner implements ModelRunner {
  readonly info: ModelRunnerInfo;
  private readonly kvTensor: ort.Tensor;
  private closed = false;
  /** Reused buffer of the compact KV transfer (grows to the largest step seen). */
  private compactScratch: Float32Array | null = null;
  /** allowed_mask of the one dummy row fed when nothing is picked in the graph. */
  private unmaskedRow: Uint8Array | null = null;
  /** session.run calls per fetch path, step() and forward() alike (introspection for tests and benchmarks). */
  readonly numStepsByFetch: Record<StepFetch, number> = { argmax: 0, sampled: 0, logits: 0 };
  /** Uniform draws of unseeded sampled sequences (the runner's own, non-reproducible stream). */
  random: () => number = Math.random;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly pool: KvPool,
    info: ModelRunnerInfo,
    /** Path of the .onnx file the session runs. */
    readonly graphPath: string,
    readonly kvTransfer: KvTransfer = 'pool',
    readonly greedyArgmax: GreedyArgmax = 'graph',
    readonly temperatureSampling: TemperatureSampling = 'graph',
    readonly maskedPicks: MaskedPicks = 'graph',
    readonly truncatedSampling: TruncatedSampling = 'graph',
  ) {
    this.info = info;
    this.kvTensor = new ort.Tensor('float32', pool.data, [pool.numRows / pool.shape.blockSize, pool.shape.blockSize, pool.shape.headDim]);
  }

  /** Runs the step graph and scatters the new K/V into the pool; returns the raw logits rows. */
  async forward(batch: StepBatch, logits: 'sampled' | 'all' = 'sampled'): Promise<Float32Array[]> {
    const packed = packStep(batch, this.pool, logits);
    const out = await this.run(packed, null, ['logits']);
    return this.rows(out.logits as Float32Array, packed.logitsIndex.length);
  }

  async step(batch: StepBatch): Promise<StepOutput> {
    const packed = packStep(batch, this.pool);
    const picks = batch.sequences.map((s) => graphPick(s, this.info.vocabSize, this));
    // A step picked by greedy_ids alone (or in JS) feeds the neutral dummy rows: no per-row inputs to build.
    const inRows = picks.some((p) => p !== null && p !== 'argmax');
    const layout = logitsRowsOf(batch); // where each sequence's rows sit in the logits (read by the draws and the picks)
    const draws = inRows ? graphDraws(batch, layout, picks, this.info.vocabSize, () => this.random()) : null;
    const needsLogits = picks.some((p) => p === null);
    const names = [needsLogits ? 'logits' : 'greedy_ids'];
    if (picks.includes('draw')) names.push('sampled_ids');
    if (picks.includes('masked-argmax')) names.push('sampled_greedy_ids');
    if (picks.includes('top-k-draw')) names.push('top_k_ids');
    if (picks.includes('top-p-draw')) names.push('top_p_ids');
    const out = await this.run(packed, draws, names);
    const logitsRows = needsLogits ? this.rows(out.logits as Float32Array, packed.logitsIndex.length) : null;
    return stepOutput(batch, layout, { out, logitsRows, picks, draws }, this.random, this.info.eosTokenIds);
  }

  private rows(data: Float32Array, numRows: number): Float32Array[] {
    const v = this.info.vocabSize;
    return Array.from({ length: numRows }, (_, i) => data.subarray(i * v, (i + 1) * v));
  }

  /** One session.run fetching new_kv plus `names`; scatters the new K/V and returns the outputs. */
  private async run(packed: PackedStep, draws: GraphDraws | null, names: string[]): Promise<Record<string, ort.Tensor['data']>> {
    if (this.closed) throw new Error('OrtModelRunner is closed');
    const out = await this.session.run(this.feeds(packed, draws), ['new_kv', ...names]);
    this.numStepsByFetch[names.includes('logits') ? 'logits' : names.length > 1 ? 'sampled' : 'argmax']++;
    this.pool.scatter(out.new_kv!.data as Float32Array, packed.slots);
    return Object.fromEntries(names.map((n) => [n, out[n]!.data]));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }

  /** The session inputs this runner would feed for `batch` (profiling and benchmarks; the pool is not written). */
  feedsFor(batch: StepBatch, logits: 'sampled' | 'all' = 'sampled'): Record<string, ort.Tensor> {
    return this.feeds(packStep(batch, this.pool, logits), null);
  }

  private kvFeed(p: PackedStep): ort.Tensor {
    if (this.kvTransfer === 'pool') return this.kvTensor;
    const compact = compactKv(this.pool, Object.values(p.groups).map((g) => g.pastBlocks), this.compactScratch);
    if (compact.data.buffer !== this.compactScratch?.buffer) this.compactScratch = compact.data;
    const { blockSize, headDim } = this.pool.shape;
    return new ort.Tensor('float32', compact.data, [compact.numRows / blockSize, blockSize, headDim]);
  }

  /** The rows' allowed_mask bytes; without draws one unmasked dummy row (a constant buffer). */
  private maskFeed(draws: GraphDraws | null): ort.Tensor {
    const perRow = maskBytesPerRow(this.info.vocabSize);
    this.unmaskedRow ??= new Uint8Array(perRow).fill(0xff);
    return new ort.Tensor('uint8', draws?.allowedMask ?? this.unmaskedRow, [draws?.rows.length ?? 1, perRow]);
  }

  /** The truncated draws' per-row inputs (neutral for the dummy row) and each draw output's rows. */
  private rankFeeds(draws: GraphDraws | null): Record<string, ort.Tensor> {
    const n = draws?.rows.length ?? 1;
    const rowsOf = (pick: keyof GraphDraws['subsetRows']) => {
      const rows = draws?.subsetRows[pick] ?? Int32Array.of(0);
      return new ort.Tensor('int32', rows, [rows.length]);
    };
    return {
      top_k: new ort.Tensor('int32', draws?.topK ?? Int32Array.of(this.info.vocabSize), [n]),
      top_p: new ort.Tensor('float32', draws?.topP ?? Float32Array.of(1), [n]),
      min_p: new ort.Tensor('float32', draws?.minP ?? Float32Array.of(0), [n]),
      sampled_rows: rowsOf('draw'), top_k_rows: rowsOf('top-k-draw'), top_p_rows: rowsOf('top-p-draw'),
    };
  }

  private feeds(p: PackedStep, draws: GraphDraws | null): Record<string, ort.Tensor> {
    const i32 = (data: Int32Array, dims: number[]) => new ort.Tensor('int32', data, dims);
    const kvCache = this.kvFeed(p); // first: in compact mode it rewrites the groups' past blocks
    // An empty logits_index would make zero-row tensors; compute one throwaway row instead.
    const logitsIndex = p.logitsIndex.length === 0 ? Int32Array.of(0) : p.logitsIndex;
    const feeds: Record<string, ort.Tensor> = {
      input_ids: i32(p.inputIds, [p.numTokens]),
      positions: i32(p.positions, [p.numTokens]),
      kv_cache: kvCache,
      out_index: i32(p.outIndex, [p.numTokens]),
      logits_index: i32(logitsIndex, [logitsIndex.length]),
      sample_rows: i32(draws?.rows ?? Int32Array.of(0), [draws?.rows.length ?? 1]),
      inv_temperature: new ort.Tensor('float32', draws?.invTemperature ?? Float32Array.of(1), [draws?.rows.length ?? 1]),
      uniform: new ort.Tensor('float32', draws?.uniform ?? Float32Array.of(0), [draws?.rows.length ?? 1]),
      allowed_mask: this.maskFeed(draws),
      ...this.rankFeeds(draws),
    };
    for (const [name, g] of Object.entries(p.groups)) {
      feeds[`${name}_q_index`] = i32(g.qIndex, [g.numSeqs, g.maxQ]);
      feeds[`${name}_past_blocks`] = i32(g.pastBlocks, [g.numSeqs, g.maxPastBlocks]);
      feeds[`${name}_mask`] = new ort.Tensor('float32', g.mask, [g.numSeqs, g.maxQ, g.maxPast + g.maxQ]);
    }
    return feeds;
  }
}

export async function createOrtModelRunner(opts: OrtModelRunnerOptions): Promise<Result<OrtModelRunner, OrtRunnerError>> {
  const { model } = opts;
  const c = model.config;
  const blockSize = opts.blockSize ?? 16;
  const maxModelLen = opts.maxModelLen ?? Math.min(c.maxPositionEmbeddings, 32768);
  if (!Number.isInteger(blockSize) || blockSize < 1) return err({ code: 'invalid_options', message: `blockSize must be a positive integer, got ${blockSize}` });
  if (!Number.isInteger(maxModelLen) || maxModelLen < 1) return err({ code: 'invalid_options', message: `maxModelLen must be a positive integer, got ${maxModelLen}` });
  const poolShape = { numLayers: c.numLayers, blockSize, numKvHeads: c.numKvHeads, headDim: c.headDim };
  const numBlocks = opts.numBlocks ?? defaultNumBlocks(poolShape, maxModelLen);
  if (!Number.isInteger(numBlocks) || numBlocks < 1) return err({ code: 'invalid_options', message: `numBlocks must be a positive integer, got ${numBlocks}` });

  let graphPath: string;
  try {
    graphPath = ensureStepGraph(model, maxModelLen, opts.cacheDir, opts.onProgress).path;
  } catch (e) {
    return err({ code: 'graph_build_failed', message: `building the ONNX graph for ${model.name} failed: ${(e as Error).message}` });
  }
  const device = opts.device ?? 'cpu';
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: [device],
    graphOptimizationLevel: 'all',
    ...(opts.intraOpNumThreads === undefined ? {} : { intraOpNumThreads: opts.intraOpNumThreads }),
  };
  let session: ort.InferenceSession;
  try {
    opts.onProgress?.(`creating ${device} session for ${graphPath}`);
    session = await ort.InferenceSession.create(graphPath, sessionOptions);
  } catch (e) {
    if (device === 'cuda') return err({ code: 'cuda_unavailable', message: cudaError(e) });
    return err({ code: 'session_failed', message: `ONNX Runtime could not load ${graphPath}: ${(e as Error).message}` });
  }
  const pool = new KvPool({ ...poolShape, numBlocks });
  const info: ModelRunnerInfo = {
    modelName: model.name, blockSize, numBlocks, maxModelLen, vocabSize: c.vocabSize, eosTokenIds: [...c.eosTokenIds],
  };
  return ok(new OrtModelRunner(session, pool, info, graphPath, opts.kvTransfer ?? (device === 'cuda' ? 'compact' : 'pool'), opts.greedyArgmax ?? 'graph', opts.temperatureSampling ?? 'graph', opts.maskedPicks ?? 'graph',
    opts.truncatedSampling ?? 'graph'));
}
