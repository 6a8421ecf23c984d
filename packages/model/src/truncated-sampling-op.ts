// The step graph's top-k / min-p / top-p draws over gathered logits rows: top_k_ids (rows with a top-k) and top_p_ids
// (top-p without top-k): one TopK per row over only the columns its kept set can reach, the kept set a prefix of
// that order, the inverse-CDF draw over it. Invariant: sampler.sampleToken's semantics and order; a row's pick
// reads its own row and params only (the batch-wide TopK width is ≥ every row's, and columns past a row's are dropped).

import { ElemType, type GraphBuilder } from './onnx-builder.js';

/** Per-row inputs [n] of a truncated draw (top_k = the vocabulary when off, top_p 1 when off, min_p 0 when off). */
export interface TruncatedInputs { invTemperature: string; uniform: string; topK: string; topP: string; minP: string }

/** Thresholds (relative to the top weight) tried for a top-p row's candidate superset, largest first (then: all). */
const LADDER = [2 ** -3, 2 ** -7, 2 ** -12, 2 ** -18, 2 ** -26];

/**
 * outputName [n] i32: rows with top_k < vocab; the sort is top_k wide and the kept total its sorted prefix's.
 * A row without top-k (a dummy row) gets width 1: never a whole-vocabulary sort for a row nobody reads.
 */
export function topKSample(g: GraphBuilder, rows: string, p: TruncatedInputs, vocabSize: number, outputName: string): void {
  const width = g.op('Where', [hasTopK(g, p.topK, vocabSize), p.topK, one(g)]);
  sortedDraw(g, rows, p, { width, total: null }, vocabSize, outputName);
}

function hasTopK(g: GraphBuilder, topK: string, vocabSize: number): string {
  return g.op('Less', [topK, g.sharedInitializer('vocab_size_i32', () => Int32Array.of(vocabSize), [1])]);
}

function one(g: GraphBuilder): string {
  return g.sharedInitializer('one_i32', () => Int32Array.of(1), [1]);
}

/**
 * outputName [n] i32: top-p rows without top-k (any other row, a dummy, gets width 1); the sort covers the first ladder superset {weight ≥ τ} holding
 * top_p·total (sampler's nucleus bound), the total is the whole row's kept weight.
 */
export function topPSample(g: GraphBuilder, rows: string, p: TruncatedInputs, vocabSize: number, outputName: string): void {
  const col = (x: string) => g.op('Unsqueeze', [x, g.int64([1])]);
  const sumRow = (x: string) => g.op('ReduceSum', [x, g.int64([1])], { keepdims: 0 });
  const max = g.op('ReduceMax', [rows], { axes: [1], keepdims: 1 }); // = the sorted first value, bit for bit
  const dense = g.op('Exp', [g.op('Mul', [g.op('Sub', [rows, max]), col(p.invTemperature)])]);
  const denseW = g.op('Where', [g.op('GreaterOrEqual', [dense, col(p.minP)]), dense, g.float([0])]);
  const total = sumRow(denseW);
  const target = g.op('Mul', [p.topP, total]);
  let tau = g.op('Mul', [p.topP, g.float([0])]); // [n] zeros: every column
  for (const t of [...LADDER].reverse()) {
    const mass = sumRow(g.op('Where', [g.op('GreaterOrEqual', [dense, g.float([t])]), denseW, g.float([0])]));
    tau = g.op('Where', [g.op('GreaterOrEqual', [mass, target]), g.float([t]), tau]);
  }
  const count = g.op('Cast', [sumRow(g.op('Cast', [g.op('GreaterOrEqual', [dense, col(tau)])], { to: ElemType.Float }))], { to: ElemType.Int32 });
  const notTopP = g.op('Or', [g.op('GreaterOrEqual', [p.topP, g.float([1])]), hasTopK(g, p.topK, vocabSize)]); // dummy rows
  const width = g.op('Where', [notTopP, one(g), count]);
  sortedDraw(g, rows, p, { width, total: col(total) }, vocabSize, outputName);
}

/**
 * Sort each row descending (ties: lower id first, as topKIndices), weights exp((v − v₀)·invT) kept while rank < width
 * and weight ≥ min_p, then the shortest prefix whose mass reaches top_p·total (top_p ≥ 1: all), then the first kept
 * position whose cumulative weight exceeds uniform·kept total; every kept set is a prefix, so clamped to the last.
 */
function sortedDraw(
  g: GraphBuilder, rows: string, p: TruncatedInputs, bound: { width: string; total: string | null }, vocabSize: number, outputName: string,
): void {
  const col = (x: string) => g.op('Unsqueeze', [x, g.int64([1])]);
  const toFloat = (x: string) => g.op('Cast', [x], { to: ElemType.Float });
  const numColumns = g.op('Cast', [g.op('ReduceMax', [bound.width], { keepdims: 1 })], { to: ElemType.Int64 }); // [1]
  const [values, indices] = g.opN('TopK', [rows, numColumns], 2, { axis: -1, largest: 1, sorted: 1 });
  const top = g.op('Slice', [values!, g.int64([0]), g.int64([1]), g.int64([1])]);
  const e = g.op('Exp', [g.op('Mul', [g.op('Sub', [values!, top]), col(p.invTemperature)])]);
  const ranks = g.op('Slice', [g.sharedInitializer('rank_range', () => Int32Array.from({ length: vocabSize }, (_, i) => i), [vocabSize]),
    g.int64([0]), numColumns, g.int64([0])]);
  const kept = g.op('And', [g.op('Less', [ranks, col(bound.width)]), g.op('GreaterOrEqual', [e, col(p.minP)])]);
  const w = g.op('Mul', [e, toFloat(kept)]);
  const total = bound.total ?? lastColumn(g, g.op('CumSum', [w, g.int64([1], [])]));
  const before = g.op('CumSum', [w, g.int64([1], [])], { exclusive: 1 });
  const inNucleus = g.op('Or', [g.op('Less', [before, g.op('Mul', [col(p.topP), total])]), col(g.op('GreaterOrEqual', [p.topP, g.float([1])]))]);
  const weights = g.op('Mul', [w, toFloat(inNucleus)]);
  const cdf = g.op('CumSum', [weights, g.int64([1], [])]);
  const below = toFloat(g.op('LessOrEqual', [cdf, g.op('Mul', [col(p.uniform), lastColumn(g, cdf)])]));
  const count = g.op('ReduceSum', [below, g.int64([1])], { keepdims: 0 }); // exact in f32 below 2^24 columns
  const numKept = g.op('ReduceSum', [toFloat(g.op('Greater', [weights, g.float([0])])), g.int64([1])], { keepdims: 0 });
  const pos = g.op('Max', [g.op('Min', [count, g.op('Sub', [numKept, g.float([1])])]), g.float([0])]);
  const picked = g.op('GatherElements', [indices!, col(g.op('Cast', [pos], { to: ElemType.Int64 }))], { axis: 1 });
  g.op('Cast', [g.op('Squeeze', [picked, g.int64([1])])], { to: ElemType.Int32 }, outputName);
}

/** The last column [n,1] of a running sum (its total; sequential CumSum: zero columns past a row's set change nothing). */
export function lastColumn(g: GraphBuilder, cum: string): string {
  return g.op('Slice', [cum, g.int64([-1]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([1])]);
}
