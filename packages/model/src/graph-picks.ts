// Which sequences of a step are picked inside the step graph (greedy_ids, sampled_greedy_ids, sampled_ids) and the
// per-row inputs those picks read. Invariant: decided from each sequence's own params and mask only, never from its
// batch neighbours, so a (seeded) request is picked the same way whatever it is batched with.

import { needsLogitsProcessing, type StepBatch, type StepSequence } from '@mini-dynamo/protocol';
import { maskBytesPerRow } from './graph-pick-ops.js';
import { counterUniform } from './sampler.js';

/**
 * Where a sequence's token comes from: 'argmax' = greedy_ids (plain greedy, or no pick at all), 'masked-argmax' =
 * sampled_greedy_ids (greedy over its allowed-token mask), 'draw' = sampled_ids (temperature-only, masked or not).
 */
export type GraphPick = 'argmax' | 'masked-argmax' | 'draw';

/** The runner's switches ('js' = the baseline that fetches logits and picks in JS). */
export interface GraphPickModes {
  greedyArgmax: 'graph' | 'js';
  temperatureSampling: 'graph' | 'js';
  maskedPicks: 'graph' | 'js';
}

/**
 * Nothing but the pick and its allowed-token mask reads the logits: no prompt logprobs, logprobs, or other logits
 * processing (bias, min-tokens, penalties, min-p) — else the logits go to JS. The one predicate of the graph paths.
 */
function onlyMaskedPickReadsLogits(s: StepSequence): boolean {
  const p = s.sampling;
  return s.promptLogprobs === undefined
    && (p === null || ((p.numLogprobs ?? null) === null && !needsLogitsProcessing(p, undefined)));
}

/** The graph output holding sequence s's token, or null when its logits must be fetched and picked in JS. */
export function graphPick(s: StepSequence, vocabSize: number, modes: GraphPickModes): GraphPick | null {
  const p = s.sampling;
  if (!onlyMaskedPickReadsLogits(s)) return null;
  if (p === null) return modes.greedyArgmax === 'graph' ? 'argmax' : null;
  const masked = s.allowedTokenMask !== undefined;
  if (masked && modes.maskedPicks === 'js') return null;
  if (p.temperature <= 0) return modes.greedyArgmax === 'graph' ? (masked ? 'masked-argmax' : 'argmax') : null;
  const plainDraw = (p.topK === null || p.topK >= vocabSize) && p.topP >= 1;
  return plainDraw && modes.temperatureSampling === 'graph' ? 'draw' : null;
}

export interface GraphDraws {
  rows: Int32Array; invTemperature: Float32Array; uniform: Float32Array;
  /** [rows, maskBytesPerRow] bytes of each row's allowed-token mask (all ones: unmasked). */
  allowedMask: Uint8Array;
  /** Rows really picked (rows may hold one dummy); rowOf[i]: sequence i's index into them, or null. */
  numRows: number; rowOf: (number | null)[];
}

/**
 * The logits rows picked in the graph by sampled_greedy_ids / sampled_ids (packStep's row order) with their
 * 1/temperature, uniform draw and mask bytes. No such row: one dummy row (row 0, unmasked), never read.
 * The draw is sampleToken's: counterUniform(seed, #generated) when seeded, else `random` (the runner's stream).
 */
export function graphDraws(batch: StepBatch, picks: (GraphPick | null)[], vocabSize: number, random: () => number): GraphDraws {
  const rows: number[] = [], invTemperature: number[] = [], uniform: number[] = [], masks: (Uint32Array | undefined)[] = [];
  const rowOf: (number | null)[] = [];
  let next = 0;
  batch.sequences.forEach((s, i) => {
    next += s.promptLogprobs?.targetTokenIds.length ?? 0;
    const inRows = s.sampling !== null && (picks[i] === 'draw' || picks[i] === 'masked-argmax');
    rowOf.push(inRows ? rows.length : null);
    if (s.sampling === null) return;
    if (inRows) {
      const draw = picks[i] === 'draw';
      rows.push(next);
      invTemperature.push(draw ? 1 / s.sampling.temperature : 1);
      uniform.push(!draw ? 0 : s.sampling.seed === null ? random() : counterUniform(s.sampling.seed, s.outputTokenIds.length));
      masks.push(s.allowedTokenMask);
    }
    next++;
  });
  const numRows = rows.length;
  if (numRows === 0) { rows.push(0); invTemperature.push(1); uniform.push(0); masks.push(undefined); }
  return {
    rows: Int32Array.from(rows), invTemperature: Float32Array.from(invTemperature), uniform: Float32Array.from(uniform),
    allowedMask: maskBytes(masks, vocabSize), numRows, rowOf,
  };
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
