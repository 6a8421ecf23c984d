// Next-token sampling: protocol's logits processing (bias, masks, penalties), then greedy or temperature,
// min-p, top-k, top-p and the draw; a masked row is picked over its allowed ids only (same pick as the full row).
// Invariant: a seeded request's draw depends only on (seed, number of tokens generated so far) and the
// logits — never on batch composition, preemption or other requests (counter-based hash RNG).

import { allowedTokenIds, argmax, processLogits, type LogitsContext, type SamplingParams } from '@mini-dynamo/protocol';

export { applyPenalties, argmax } from '@mini-dynamo/protocol';

function fmix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform [0, 1) with 53 bits, a pure function of (seed, counter). */
export function counterUniform(seed: number, counter: number): number {
  const lo = Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
  const hi = Number(BigInt.asUintN(32, BigInt(Math.trunc(seed)) >> 32n));
  const h1 = fmix32(lo ^ fmix32(hi ^ fmix32((counter ^ 0x9e3779b9) >>> 0)));
  const h2 = fmix32(h1 ^ 0x27d4eb2f ^ Math.imul(counter + 1, 0x165667b1));
  return ((h1 >>> 5) * 67108864 + (h2 >>> 6)) / 9007199254740992;
}

/**
 * Indices of the k largest values, descending (ties: lower index first); a partial selection, no full sort.
 * `among` (ascending ids): select from those only.
 */
export function topKIndices(values: Float32Array, k: number, among: Int32Array | null = null): number[] {
  const top: number[] = [];
  const n = among === null ? values.length : among.length;
  for (let j = 0; j < n; j++) {
    const i = among === null ? j : among[j]!;
    const v = values[i]!;
    if (top.length === k && v <= values[top[k - 1]!]!) continue;
    let pos = Math.min(top.length, k - 1);
    while (pos > 0 && values[top[pos - 1]!]! < v) pos--;
    top.splice(pos, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}

/** Reused per-call buffers (sampleToken never returns or keeps them): the processed row, allowed ids, weights. */
const scratch = { row: new Float32Array(0), ids: new Int32Array(0), probs: new Float64Array(0) };

function scratchProbs(n: number): Float64Array {
  if (scratch.probs.length < n) scratch.probs = new Float64Array(n);
  return scratch.probs.subarray(0, n);
}

/**
 * Candidates (token ids; null: every id) and their unnormalised probabilities (the top one's is 1) after temperature,
 * min-p and top-k (min-p is relative to the top probability, which top-k keeps, so the two commute); dropped → 0.
 * `among`: the ids a mask allows (every other logit is -Infinity, weight 0: leaving them out changes no draw).
 */
function candidates(logits: Float32Array, params: SamplingParams, among: Int32Array | null): { ids: ArrayLike<number> | null; probs: Float64Array } {
  const ids = params.topK !== null && params.topK < logits.length ? topKIndices(logits, Math.max(1, params.topK), among) : among;
  const probs = ids === null ? denseProbs(logits, params) : probsAmong(logits, ids, params);
  return { ids, probs };
}

/** exp((logit - max) / temperature) over the whole row, 0 under min-p (one monomorphic loop per pass). */
function denseProbs(logits: Float32Array, params: SamplingParams): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  const probs = scratchProbs(logits.length);
  const t = params.temperature, minP = params.minP ?? 0;
  for (let i = 0; i < logits.length; i++) {
    const p = Math.exp((logits[i]! - max) / t);
    probs[i] = p < minP ? 0 : p;
  }
  return probs;
}

/** denseProbs over the listed ids only (probs[j] is ids[j]'s). */
function probsAmong(logits: Float32Array, ids: ArrayLike<number>, params: SamplingParams): Float64Array {
  let max = -Infinity;
  for (let j = 0; j < ids.length; j++) if (logits[ids[j]!]! > max) max = logits[ids[j]!]!;
  const probs = scratchProbs(ids.length);
  const t = params.temperature, minP = params.minP ?? 0;
  for (let j = 0; j < ids.length; j++) {
    const p = Math.exp((logits[ids[j]!]! - max) / t);
    probs[j] = p < minP ? 0 : p;
  }
  return probs;
}

/** The nucleus: positions (into probs) of the shortest most-likely prefix holding mass ≥ topP. */
function nucleus(probs: Float64Array, topP: number): number[] {
  let total = 0, max = 0;
  for (let i = 0; i < probs.length; i++) { total += probs[i]!; if (probs[i]! > max) max = probs[i]!; }
  const target = topP * total;
  // Find a threshold whose superset {p ≥ τ} already holds the target mass, then sort only that set.
  let tau = max, inSet: number[] = [];
  for (;;) {
    let mass = 0;
    inSet = [];
    for (let i = 0; i < probs.length; i++) if (probs[i]! >= tau) { inSet.push(i); mass += probs[i]!; }
    if (mass >= target || tau < 1e-300) break;
    tau /= 4;
  }
  inSet.sort((a, b) => probs[b]! - probs[a]! || a - b);
  const kept: number[] = [];
  let cum = 0;
  for (const i of inSet) { kept.push(i); cum += probs[i]!; if (cum >= target) break; }
  return kept;
}

/** What sampleToken reads besides logits, params and the generated tokens (the StepSequence's optional parts). */
export interface SampleContext extends Omit<LogitsContext, 'outputTokenIds'> {
  /** The model's EOS ids (the min-tokens mask bans them); default none. */
  eosTokenIds?: readonly number[];
}

/**
 * Picks the next token. `random` supplies the uniform draw when params.seed is null
 * (the runner's own, non-reproducible stream).
 */
export function sampleToken(
  logits: Float32Array, params: SamplingParams, outputTokenIds: readonly number[], random: () => number = Math.random,
  context: SampleContext = {},
): number {
  if (scratch.row.length < logits.length) scratch.row = new Float32Array(logits.length);
  const penalised = processLogits(logits, params, { ...context, outputTokenIds }, context.eosTokenIds ?? [], scratch.row);
  const among = maskedIds(context.allowedTokenMask, logits.length);
  if (params.temperature <= 0) return among === null ? argmax(penalised) : argmaxAmong(penalised, among);
  const { ids, probs } = candidates(penalised, params, among);
  const keep = params.topP < 1 ? nucleus(probs, params.topP) : null;
  const u = params.seed === null ? random() : counterUniform(params.seed, outputTokenIds.length);
  const pos = keep === null ? drawIndex(probs, u) : keep[drawIndex(Float64Array.from(keep, (i) => probs[i]!), u)]!;
  return ids === null ? pos : ids[pos]!;
}

/** The ids a mask allows, ascending (in the reused buffer); null without a mask, or one allowing nothing (full row). */
function maskedIds(mask: Uint32Array | undefined, vocabSize: number): Int32Array | null {
  if (mask === undefined) return null;
  if (scratch.ids.length < vocabSize) scratch.ids = new Int32Array(vocabSize);
  const ids = allowedTokenIds(mask, vocabSize, scratch.ids);
  return ids.length === 0 ? null : ids;
}

/** argmax restricted to `among` (ascending): the first of the largest, as argmax over the masked row. */
function argmaxAmong(values: Float32Array, among: Int32Array): number {
  let best = among[0] ?? 0;
  for (let j = 1; j < among.length; j++) if (values[among[j]!]! > values[best]!) best = among[j]!;
  return best;
}

/** Index i with probability weights[i] / sum(weights), for a uniform draw u in [0, 1). */
export function drawIndex(weights: Float64Array, u: number): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  let r = u * total;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    if (weights[i]! <= 0) continue;
    r -= weights[i]!;
    last = i;
    if (r < 0) return i;
  }
  return last; // rounding left r ≥ 0: the last token with weight (never a dropped or masked one)
}
