// The step graph's in-graph picks over gathered logits rows (their inputs and outputs): the allowed-token mask (packed
// bits → -inf), masked ArgMax, temperature (+ min-p) sampling by inverse CDF, the top-k / top-p draws.
// Invariant: an allowed logit passes unchanged (x + 0), so ArgMax over a masked row is the JS argmax over the allowed
// ids, first index on ties.

import { ElemType, type GraphBuilder } from './onnx-builder.js';
import { lastColumn, topKSample, topPSample } from './truncated-sampling-op.js';

/** Bytes of one allowed_mask row: the TokenConstraint mask's ceil(vocab/32) words. */
export function maskBytesPerRow(vocabSize: number): number {
  return 4 * Math.ceil(vocabSize / 32);
}

/**
 * rows [R, vocab] + (0 where allowed, -inf elsewhere); allowedMask [R, maskBytesPerRow] u8 holds the mask words as
 * little-endian bytes (bit j of byte k: token 8k + j). Each byte indexes a [256, 8] table of its bits' biases.
 */
function maskRows(g: GraphBuilder, rows: string, allowedMask: string, vocabSize: number): string {
  const table = new Float32Array(256 * 8);
  for (let b = 0; b < 256; b++) for (let j = 0; j < 8; j++) table[b * 8 + j] = (b >>> j) & 1 ? 0 : -Infinity;
  const perBit = g.op('Gather', [g.initializer('mask_bit_bias', table, [256, 8]), g.op('Cast', [allowedMask], { to: ElemType.Int32 })], { axis: 0 });
  const flat = g.op('Reshape', [perBit, g.int64([0, -1])]); // [R, 32·words]: bits past the vocabulary sliced off
  const bias = g.op('Slice', [flat, g.int64([0]), g.int64([vocabSize]), g.int64([1])]);
  return g.op('Add', [rows, bias]);
}

/**
 * outputName [R] i32 = #{i : cdf[i] ≤ u·cdf[last]}, cdf the running sum of exp((row − max)·invT) zeroed below minP
 * (sampler's unnormalised weights and min-p, drawn in id order), clamped to the last id of positive weight.
 */
function temperatureSample(
  g: GraphBuilder, rows: string, draw: { invTemperature: string; uniform: string; minP: string }, outputName: string,
): void {
  const col = (x: string) => g.op('Unsqueeze', [x, g.int64([1])]); // [R] -> [R,1]
  const max = g.op('ReduceMax', [rows], { axes: [1], keepdims: 1 });
  const e = g.op('Exp', [g.op('Mul', [g.op('Sub', [rows, max]), col(draw.invTemperature)])]);
  const weights = g.op('Mul', [e, g.op('Cast', [g.op('GreaterOrEqual', [e, col(draw.minP)])], { to: ElemType.Float })]);
  const cdf = g.op('CumSum', [weights, g.int64([1], [])]);
  const total = lastColumn(g, cdf); // [R,1]
  const below = g.op('Cast', [g.op('LessOrEqual', [cdf, g.op('Mul', [col(draw.uniform), total])])], { to: ElemType.Float });
  const count = g.op('ReduceSum', [below, g.int64([1])], { keepdims: 0 }); // exact in f32 below 2^24 columns
  const positive = g.op('Cast', [g.op('Greater', [weights, g.float([0])])], { to: ElemType.Float });
  const lastPositive = g.op('ArgMax', [positive], { axis: 1, keepdims: 0, select_last_index: 1 });
  const clamped = g.op('Min', [g.op('Cast', [count], { to: ElemType.Int64 }), lastPositive]);
  g.op('Cast', [clamped], { to: ElemType.Int32 }, outputName);
}

/**
 * The pick inputs (sample_rows [R] and its per-row params and masks; sampled_rows / top_k_rows / top_p_rows: which of
 * the R rows each draw reads) and outputs (sampled_greedy_ids [R], sampled_ids [Rs], top_k_ids [Rk], top_p_ids [Rp]).
 */
export function addGraphPicks(g: GraphBuilder, logits: string, vocabSize: number): void {
  const I = ElemType.Int32, F = ElemType.Float;
  const sampleRows = g.input('sample_rows', I, ['R']);
  const params = {
    invTemperature: g.input('inv_temperature', F, ['R']), uniform: g.input('uniform', F, ['R']),
    topK: g.input('top_k', I, ['R']), topP: g.input('top_p', F, ['R']), minP: g.input('min_p', F, ['R']),
  };
  const allowedMask = g.input('allowed_mask', ElemType.Uint8, ['R', maskBytesPerRow(vocabSize)]);
  const picked = maskRows(g, g.op('Gather', [logits, sampleRows], { axis: 0 }), allowedMask, vocabSize);
  g.op('Cast', [g.op('ArgMax', [picked], { axis: -1, keepdims: 0, select_last_index: 0 })], { to: I }, 'sampled_greedy_ids');
  const subset = (name: string, dim: string) => {
    const rows = g.input(name, I, [dim]);
    const at = (x: string) => g.op('Gather', [x, rows], { axis: 0 });
    const p = { invTemperature: at(params.invTemperature), uniform: at(params.uniform), topK: at(params.topK), topP: at(params.topP), minP: at(params.minP) };
    return { rows: at(picked), p };
  };
  const sampled = subset('sampled_rows', 'Rs'), topK = subset('top_k_rows', 'Rk'), topP = subset('top_p_rows', 'Rp');
  temperatureSample(g, sampled.rows, sampled.p, 'sampled_ids');
  topKSample(g, topK.rows, topK.p, vocabSize, 'top_k_ids');
  topPSample(g, topP.rows, topP.p, vocabSize, 'top_p_ids');
  g.output('sampled_greedy_ids', I, ['R']);
  for (const [name, dim] of [['sampled_ids', 'Rs'], ['top_k_ids', 'Rk'], ['top_p_ids', 'Rp']] as const) g.output(name, I, [dim]);
}
