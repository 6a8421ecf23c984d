// Next-token sampling: protocol's logits processing (bias, masks, penalties), then greedy or temperature,
// min-p, top-k, top-p and the draw.
// Invariant: a seeded request's draw depends only on (seed, number of tokens generated so far) and the
// logits — never on batch composition, preemption or other requests (counter-based hash RNG).

import { argmax, processLogits, type LogitsContext, type SamplingParams } from '@mini-dynamo/protocol';

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

/** Indices of the k largest values, descending (ties: lower index first); a partial selection, no full sort. */
export function topKIndices(values: Float32Array, k: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (top.length === k && v <= values[top[k - 1]!]!) continue;
    let j = Math.min(top.length, k - 1);
    while (j > 0 && values[top[j - 1]!]! < v) j--;
    top.splice(j, 0, i);
    if (top.length > k) top.pop();
  }
  return top;
}

/**
 * Candidates (token ids) and their unnormalised probabilities (the top one's is 1) after temperature, min-p and
 * top-k (min-p is relative to the top probability, which top-k keeps, so the two commute); dropped → 0.
 */
function candidates(logits: Float32Array, params: SamplingParams): { ids: number[] | null; probs: Float64Array } {
  const ids = params.topK !== null && params.topK < logits.length ? topKIndices(logits, Math.max(1, params.topK)) : null;
  const n = ids === null ? logits.length : ids.length;
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[ids === null ? i : ids[i]!]!);
  const probs = new Float64Array(n);
  const minP = params.minP ?? 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp((logits[ids === null ? i : ids[i]!]! - max) / params.temperature);
    probs[i] = p < minP ? 0 : p;
  }
  return { ids, probs };
}

/** The nucleus: positions (into probs) of the shortest most-likely prefix holding mass ≥ topP. */
function nucleus(probs: Float64Array, topP: number): number[] {
  let total = 0, max = 0;
  for (const p of probs) { total += p; max = Math.max(max, p); }
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
  const penalised = processLogits(logits, params, { ...context, outputTokenIds }, context.eosTokenIds ?? []);
  if (params.temperature <= 0) return argmax(penalised);
  const { ids, probs } = candidates(penalised, params);
  const keep = params.topP < 1 ? nucleus(probs, params.topP) : null;
  const u = params.seed === null ? random() : counterUniform(params.seed, outputTokenIds.length);
  const pos = keep === null ? drawIndex(probs, u) : keep[drawIndex(Float64Array.from(keep, (i) => probs[i]!), u)]!;
  return ids === null ? pos : ids[pos]!;
}

/** Index i with probability weights[i] / sum(weights), for a uniform draw u in [0, 1). */
export function drawIndex(weights: Float64Array, u: number): number {
  let total = 0;
  for (const w of weights) total += w;
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
