// The logits processing every ModelRunner applies before its pick, in vLLM V1's order: logit bias, min-tokens
// mask, allowed-token mask (structured output), penalties (repetition, then presence/frequency); temperature,
// min-p, top-k and top-p follow in the sampler. Invariants: the caller's logits are never modified (one copy,
// only when a step applies, into the caller's scratch when given); when the min-tokens mask would leave no allowed
// token it is skipped (EOS wins). Masks are applied word-wise (32 ids at a time), never per id over the vocabulary.

import type { StepSequence } from './model-runner.js';
import type { SamplingParams } from './sampling.js';
import { isTokenAllowed } from './structured-output.js';

/** What of a StepSequence the processing reads (the sampling params come separately, never null here). */
export type LogitsContext = Pick<StepSequence, 'outputTokenIds' | 'promptTokenIds' | 'allowedTokenMask'>;

/**
 * Whether the pick needs more than temperature / top-k / top-p over the raw logits (then a runner must have
 * the logits in hand). Decided from the sequence's own params and mask only, never from its batch neighbours.
 */
export function needsLogitsProcessing(params: SamplingParams, allowedTokenMask: Uint32Array | undefined): boolean {
  return allowedTokenMask !== undefined
    || params.presencePenalty !== 0 || params.frequencyPenalty !== 0
    || (params.logitBias ?? null) !== null && params.logitBias!.length > 0
    || (params.minTokens ?? 0) > 0 || (params.repetitionPenalty ?? 1) !== 1 || (params.minP ?? 0) > 0;
}

/**
 * The logits the pick reads: `logits` itself when nothing applies, else a processed copy — written into `scratch`
 * (a view of its first logits.length floats) when it is long enough, so a hot loop allocates nothing.
 */
export function processLogits(
  logits: Float32Array, params: SamplingParams, ctx: LogitsContext, eosTokenIds: readonly number[], scratch?: Float32Array,
): Float32Array {
  if (!needsLogitsProcessing(params, ctx.allowedTokenMask)) return logits;
  const out = scratch !== undefined && scratch.length >= logits.length ? scratch.subarray(0, logits.length) : new Float32Array(logits.length);
  out.set(logits);
  for (const [id, bias] of params.logitBias ?? []) if (id >= 0 && id < out.length) out[id] = out[id]! + bias;
  applyMasks(out, minTokensBan(params, ctx.outputTokenIds.length, eosTokenIds), ctx.allowedTokenMask);
  applyRepetitionPenalty(out, params.repetitionPenalty ?? 1, ctx.promptTokenIds ?? [], ctx.outputTokenIds);
  applyPresenceFrequency(out, params, ctx.outputTokenIds);
  return out;
}

/** logits - presence*[count>0] - frequency*count over generated tokens (OpenAI semantics); copies only if needed. */
export function applyPenalties(logits: Float32Array, params: SamplingParams, outputTokenIds: readonly number[]): Float32Array {
  if ((params.presencePenalty === 0 && params.frequencyPenalty === 0) || outputTokenIds.length === 0) return logits;
  const out = Float32Array.from(logits);
  applyPresenceFrequency(out, params, outputTokenIds);
  return out;
}

/** Token ids the min-tokens rule forbids now: the stop tokens (EOS unless ignoreEos, stopTokenIds) while too few were generated. */
export function minTokensBan(params: SamplingParams, numGenerated: number, eosTokenIds: readonly number[]): number[] {
  if (numGenerated >= (params.minTokens ?? 0)) return [];
  return params.ignoreEos ? params.stopTokenIds : [...eosTokenIds, ...params.stopTokenIds];
}

/** -Infinity outside the allowed mask and on banned ids — unless that bans every allowed token (then the mask alone). */
function applyMasks(out: Float32Array, banned: readonly number[], mask: Uint32Array | undefined): void {
  const inRange = banned.filter((id) => id >= 0 && id < out.length);
  if (mask === undefined) {
    if (new Set(inRange).size < out.length) for (const id of inRange) out[id] = -Infinity;
    return;
  }
  maskOutDisallowed(out, mask);
  const bannedAllowed = new Set(inRange.filter((id) => isTokenAllowed(mask, id)));
  if (bannedAllowed.size === 0 || numAllowedTokens(mask, out.length) === bannedAllowed.size) return;
  for (const id of bannedAllowed) out[id] = -Infinity;
}

/** -Infinity on every id whose mask bit is clear: all-ones words are skipped, all-zero words filled at once. */
function maskOutDisallowed(out: Float32Array, mask: Uint32Array): void {
  const numWords = Math.ceil(out.length / 32);
  for (let w = 0; w < numWords; w++) {
    const bits = mask[w] ?? 0;
    if (bits === 0xffffffff) continue;
    const base = w * 32;
    if (bits === 0) { out.fill(-Infinity, base, Math.min(base + 32, out.length)); continue; }
    for (let clear = ~bits >>> 0; clear !== 0; clear &= clear - 1) {
      const id = base + 31 - Math.clz32(clear & -clear);
      if (id < out.length) out[id] = -Infinity;
    }
  }
}

/** Set bits of `mask` below vocabSize (popcount over words). */
export function numAllowedTokens(mask: Uint32Array, vocabSize: number): number {
  let n = 0;
  const numWords = Math.ceil(vocabSize / 32);
  for (let w = 0; w < numWords; w++) {
    let v = (mask[w] ?? 0) >>> 0;
    if (w === numWords - 1 && vocabSize % 32 !== 0) v &= (1 << (vocabSize % 32)) - 1;
    v -= (v >>> 1) & 0x55555555;
    v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
    n += Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
  }
  return n;
}

/** Ids whose mask bit is set, ascending, below vocabSize (word-wise: set bits only); into `scratch` when long enough. */
export function allowedTokenIds(mask: Uint32Array, vocabSize: number, scratch?: Int32Array): Int32Array {
  const numIds = numAllowedTokens(mask, vocabSize);
  const ids = scratch !== undefined && scratch.length >= numIds ? scratch.subarray(0, numIds) : new Int32Array(numIds);
  let n = 0;
  const numWords = Math.ceil(vocabSize / 32);
  for (let w = 0; w < numWords; w++) {
    for (let set = (mask[w] ?? 0) >>> 0; set !== 0; set &= set - 1) {
      const id = w * 32 + 31 - Math.clz32(set & -set);
      if (id < vocabSize) ids[n++] = id;
    }
  }
  return ids;
}

/** vLLM/HF repetition penalty over every distinct token of prompt and output: logit > 0 → /p, else ×p. */
function applyRepetitionPenalty(out: Float32Array, penalty: number, promptTokenIds: readonly number[], outputTokenIds: readonly number[]): void {
  if (penalty === 1) return;
  const seen = new Set<number>([...promptTokenIds, ...outputTokenIds]);
  for (const id of seen) {
    if (id < 0 || id >= out.length) continue;
    const v = out[id]!;
    out[id] = v > 0 ? v / penalty : v * penalty;
  }
}

function applyPresenceFrequency(out: Float32Array, params: SamplingParams, outputTokenIds: readonly number[]): void {
  if (params.presencePenalty === 0 && params.frequencyPenalty === 0) return;
  const counts = new Map<number, number>();
  for (const id of outputTokenIds) counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const [id, n] of counts) {
    if (id >= 0 && id < out.length) out[id] = out[id]! - params.presencePenalty - params.frequencyPenalty * n;
  }
}

/** Index of the largest value (first index wins ties). */
export function argmax(values: Float32Array | Float64Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
