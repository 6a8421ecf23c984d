// The step graph's in-graph picks over gathered logits rows: the allowed-token mask (packed bits → -inf) and
// temperature sampling by inverse CDF. Invariant: an allowed logit passes unchanged (x + 0), so ArgMax over a
// masked row is the JS argmax over the allowed ids, first index on ties.

import { ElemType, type GraphBuilder } from './onnx-builder.js';

/** Bytes of one allowed_mask row: the TokenConstraint mask's ceil(vocab/32) words. */
export function maskBytesPerRow(vocabSize: number): number {
  return 4 * Math.ceil(vocabSize / 32);
}

/**
 * rows [R, vocab] + (0 where allowed, -inf elsewhere); allowedMask [R, maskBytesPerRow] u8 holds the mask words as
 * little-endian bytes (bit j of byte k: token 8k + j). Each byte indexes a [256, 8] table of its bits' biases.
 */
export function maskRows(g: GraphBuilder, rows: string, allowedMask: string, vocabSize: number): string {
  const table = new Float32Array(256 * 8);
  for (let b = 0; b < 256; b++) for (let j = 0; j < 8; j++) table[b * 8 + j] = (b >>> j) & 1 ? 0 : -Infinity;
  const perBit = g.op('Gather', [g.initializer('mask_bit_bias', table, [256, 8]), g.op('Cast', [allowedMask], { to: ElemType.Int32 })], { axis: 0 });
  const flat = g.op('Reshape', [perBit, g.int64([0, -1])]); // [R, 32·words]: bits past the vocabulary sliced off
  const bias = g.op('Slice', [flat, g.int64([0]), g.int64([vocabSize]), g.int64([1])]);
  return g.op('Add', [rows, bias]);
}

/** outputName [R] i32 = #{i : cdf[i] ≤ u·cdf[last]} (inverse CDF of softmax(rows·invT)), clamped to vocab−1. */
export function temperatureSample(g: GraphBuilder, rows: string, invTemperature: string, uniform: string, vocabSize: number, outputName: string): void {
  const col = (x: string) => g.op('Unsqueeze', [x, g.int64([1])]); // [R] -> [R,1]
  const probs = g.op('Softmax', [g.op('Mul', [rows, col(invTemperature)])], { axis: -1 });
  const cdf = g.op('CumSum', [probs, g.int64([1], [])]);
  const total = g.op('Slice', [cdf, g.int64([-1]), g.int64([Number.MAX_SAFE_INTEGER]), g.int64([1])]); // [R,1]
  const below = g.op('Cast', [g.op('LessOrEqual', [cdf, g.op('Mul', [col(uniform), total])])], { to: ElemType.Float });
  const count = g.op('ReduceSum', [below, g.int64([1])], { keepdims: 0 }); // exact in f32 below 2^24 columns
  const clamped = g.op('Min', [count, g.float([vocabSize - 1])]);
  g.op('Cast', [clamped], { to: ElemType.Int32 }, outputName);
}
