// Which sequences of a step are picked inside the step graph (greedy_ids, sampled_greedy_ids, sampled_ids, top_k_ids,
// top_p_ids) and the per-row inputs those picks read. Invariant: decided from each sequence's own params and mask only, never from its
// batch neighbours, so a (seeded) request is picked the same way whatever it is batched with.

import { needsLogitsProcessing, type SamplingParams, type StepBatch, type StepSequence } from '@mini-dynamo/protocol';
import { maskBytesPerRow } from './graph-pick-ops.js';
import { counterUniform } from './sampler.js';
import { numPickRows } from './draft-verification.js';
import type { LogitsRows } from './step-packing.js';

/**
 * Where a sequence's token comes from: 'argmax' = greedy_ids (plain greedy, or no pick at all), 'masked-argmax' =
 * sampled_greedy_ids (greedy over its allowed-token mask), 'draw' = sampled_ids (temperature, optionally min-p, masked
 * or not), 'top-k-draw' = top_k_ids (top-k below the vocabulary, optionally top-p), 'top-p-draw' = top_p_ids (top-p < 1
 * without top-k); both with temperature, min-p and the mask.
 */
export type GraphPick = 'argmax' | 'masked-argmax' | 'draw' | 'top-k-draw' | 'top-p-draw';
type SubsetPick = 'draw' | 'top-k-draw' | 'top-p-draw';

/** The runner's switches ('js' = the baseline that fetches logits and picks in JS). */
export interface GraphPickModes {
  greedyArgmax: 'graph' | 'js';
  temperatureSampling: 'graph' | 'js';
  maskedPicks: 'graph' | 'js';
  /** Top-k / top-p / min-p sequences (the 'top-k-draw' / 'top-p-draw' picks, and 'draw' with min-p). */
  truncatedSampling: 'graph' | 'js';
}

/**
 * Nothing but the pick and its allowed-token mask reads the logits: no prompt logprobs, logprobs, or other logits
 * processing (bias, min-tokens, penalties; min-p is part of the pick) — else the logits go to JS. The one predicate of the graph paths.
 */
function onlyMaskedPickReadsLogits(s: StepSequence): boolean {
  const p = s.sampling;
  if (s.promptLogprobs !== undefined) return false;
  if (p === null) return true;
  const withoutMinP = (p.minP ?? 0) > 0 ? { ...p, minP: 0 } : p; // copied only when min-p is set
  return (p.numLogprobs ?? null) === null && !needsLogitsProcessing(withoutMinP, undefined);
}

/** Whether a sampled (temperature > 0) sequence's top-k truncates its distribution. */
function hasTopK(p: SamplingParams, vocabSize: number): boolean {
  return p.topK !== null && p.topK < vocabSize;
}

/** The graph output holding sequence s's token, or null when its logits must be fetched and picked in JS. */
export function graphPick(s: StepSequence, vocabSize: number, modes: GraphPickModes): GraphPick | null {
  const p = s.sampling;
  if (!onlyMaskedPickReadsLogits(s)) return null;
  if (p === null) return modes.greedyArgmax === 'graph' ? 'argmax' : null;
  const masked = s.allowedTokenMask !== undefined;
  if (masked && modes.maskedPicks === 'js') return null;
  if (p.temperature <= 0) return modes.greedyArgmax === 'graph' ? (masked ? 'masked-argmax' : 'argmax') : null;
  const topK = hasTopK(p, vocabSize);
  const truncated = topK || p.topP < 1 || (p.minP ?? 0) > 0;
  if (truncated && modes.truncatedSampling === 'js') return null;
  if (topK) return 'top-k-draw';
  if (p.topP < 1) return 'top-p-draw';
  return truncated || modes.temperatureSampling === 'graph' ? 'draw' : null;
}

export interface GraphDraws {
  rows: Int32Array; invTemperature: Float32Array; uniform: Float32Array;
  /** Per row: top_k (the vocabulary when off), top_p (1 when off), min_p (0 when off). */
  topK: Int32Array; topP: Float32Array; minP: Float32Array;
  /** Indices into rows of the 'draw' (sampled_ids'), 'top-k-draw' and 'top-p-draw' rows; one dummy (0) if none. */
  subsetRows: Record<SubsetPick, Int32Array>;
  /** [rows, maskBytesPerRow] bytes of each row's allowed-token mask (all ones: unmasked). */
  allowedMask: Uint8Array;
  /** Rows really picked (rows may hold one dummy); rowOf[i]: sequence i's (first) index into its pick's output (rows
   * for a 'masked-argmax', else subsetRows[pick]; its pick rows follow), or null. */
  numRows: number; rowOf: (number | null)[];
}

/** One graph-picked row's inputs (a dummy row: greedy, unmasked). */
interface DrawRow { row: number; invTemperature: number; uniform: number; topK: number; topP: number; minP: number; mask: Uint32Array | undefined }

/**
 * Sequence s's row inputs for its pick at logits row `row`, the j-th of its pick rows (the draw is sampleToken's:
 * counterUniform(seed, outputTokenIds.length + j) when seeded — drafts count as output — else `random`).
 */
function drawRow(s: StepSequence, p: SamplingParams, pick: 'masked-argmax' | SubsetPick, row: number, j: number, vocabSize: number, random: () => number): DrawRow {
  const draw = pick !== 'masked-argmax';
  const ranked = pick === 'top-k-draw' || pick === 'top-p-draw';
  return {
    row, invTemperature: draw ? 1 / p.temperature : 1,
    uniform: !draw ? 0 : p.seed === null ? random() : counterUniform(p.seed, s.outputTokenIds.length + j),
    topK: ranked && p.topK !== null && p.topK < vocabSize ? Math.max(1, p.topK) : vocabSize,
    topP: ranked ? p.topP : 1, minP: draw ? p.minP ?? 0 : 0, mask: s.allowedTokenMask,
  };
}

/**
 * The logits rows picked in the graph by sampled_greedy_ids / sampled_ids / top_k_ids / top_p_ids (packStep's order) with
 * their per-row inputs: one row per pick row of the sequence (1 + k with k drafts, consecutive in its pick's output).
 * No such row: one dummy row (row 0, unmasked), never read.
 */
export function graphDraws(batch: StepBatch, layout: readonly LogitsRows[], picks: (GraphPick | null)[], vocabSize: number, random: () => number): GraphDraws {
  const drawRows: DrawRow[] = [];
  const subRows: Record<SubsetPick, number[]> = { draw: [], 'top-k-draw': [], 'top-p-draw': [] };
  const rowOf: (number | null)[] = [];
  batch.sequences.forEach((s, i) => {
    const pick = picks[i] ?? null, pickRow = layout[i]!.pickRow;
    if (s.sampling === null || pickRow === null || pick === null || pick === 'argmax') { rowOf.push(null); return; }
    rowOf.push(pick === 'masked-argmax' ? drawRows.length : subRows[pick].length);
    for (let j = 0; j < numPickRows(s); j++) {
      if (pick !== 'masked-argmax') subRows[pick].push(drawRows.length);
      drawRows.push(drawRow(s, s.sampling, pick, pickRow + j, j, vocabSize, random));
    }
  });
  const numRows = drawRows.length;
  if (numRows === 0) drawRows.push({ row: 0, invTemperature: 1, uniform: 0, topK: vocabSize, topP: 1, minP: 0, mask: undefined });
  const f32 = (key: 'invTemperature' | 'uniform' | 'topP' | 'minP') => Float32Array.from(drawRows, (r) => r[key]);
  return {
    rows: Int32Array.from(drawRows, (r) => r.row), invTemperature: f32('invTemperature'), uniform: f32('uniform'),
    topK: Int32Array.from(drawRows, (r) => r.topK), topP: f32('topP'), minP: f32('minP'),
    subsetRows: { draw: orDummy(subRows.draw), 'top-k-draw': orDummy(subRows['top-k-draw']), 'top-p-draw': orDummy(subRows['top-p-draw']) },
    allowedMask: maskBytes(drawRows.map((r) => r.mask), vocabSize), numRows, rowOf,
  };
}

/** The indices, or one dummy row 0 when empty (ORT gets no zero-row tensors). */
function orDummy(rows: number[]): Int32Array {
  return Int32Array.from(rows.length === 0 ? [0] : rows);
}

/** The masks' words as bytes, row after row (little-endian hosts: byte k of a word holds its ids 8k..8k+7). */
function maskBytes(masks: (Uint32Array | undefined)[], vocabSize: number): Uint8Array {
  const perRow = maskBytesPerRow(vocabSize);
  const out = new Uint8Array(masks.length * perRow);
  masks.forEach((mask, r) => {
    if (mask === undefined) { out.fill(0xff, r * perRow, (r + 1) * perRow); return; }
    out.set(new Uint8Array(mask.buffer, mask.byteOffset, Math.min(mask.byteLength, perRow)), r * perRow);
  });
  return out;
}
