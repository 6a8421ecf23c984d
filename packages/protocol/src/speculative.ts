// Speculative decoding settings (vLLM's `--speculative-config`, n-gram / prompt-lookup method only) and
// their one parser, shared by `serve` and `worker`, and the per-step k by batch size. Invariant: a parsed config
// satisfies 1 ≤ promptLookupMin ≤ promptLookupMax, 1 ≤ numSpeculativeTokens ≤ MAX_SPECULATIVE_TOKENS, and its
// batch-size ranges are disjoint integer ranges with 1 ≤ start ≤ end and 0 ≤ k ≤ numSpeculativeTokens.

import { err, ok, type Result } from './request.js';

export interface SpeculativeConfig {
  /** 'ngram': drafts are the tokens that followed the latest earlier occurrence of the sequence's last n tokens. */
  method: 'ngram';
  /** Draft tokens proposed per decode step (k): a verified step emits between 1 and k + 1 tokens. */
  numSpeculativeTokens: number;
  /** Longest suffix n-gram looked up (tried first). */
  promptLookupMax: number;
  /** Shortest suffix n-gram looked up. */
  promptLookupMin: number;
  /** vLLM's dynamic speculative decoding: k by the step's number of running decodes; outside every range, numSpeculativeTokens. */
  numSpeculativeTokensPerBatchSize?: readonly BatchSizeRange[];
  /** vLLM's older switch: no drafts in a step with this many running decodes or more (≥ 2). */
  disableByBatchSize?: number;
}

/** [startBatchSize, endBatchSize, k]: k drafts per decode when startBatchSize ≤ running decodes ≤ endBatchSize. */
export type BatchSizeRange = readonly [number, number, number];

export const MAX_SPECULATIVE_TOKENS = 16;
const MAX_LOOKUP = 64;

const MAX_BATCH_SIZE = 1 << 20;

const KEYS = new Set(['method', 'num_speculative_tokens', 'prompt_lookup_max', 'prompt_lookup_min', 'num_speculative_tokens_per_batch_size', 'disable_by_batch_size']);

/**
 * Parses vLLM's JSON shape: `{"method": "ngram", "num_speculative_tokens": 5, "prompt_lookup_max": 4,
 * "prompt_lookup_min": 1}`. With one lookup bound given the other equals it (vLLM's rule); with neither they are
 * 1 and 4. Optional: `"num_speculative_tokens_per_batch_size": [[1, 4, 4], [5, 512, 0]]` and `"disable_by_batch_size": 8`
 * (both absent from the result unless given). The error is one line naming the field.
 */
export function parseSpeculativeConfig(text: string): Result<SpeculativeConfig, string> {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch { return err(`is not JSON: ${JSON.stringify(text)}`); }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return err('must be a JSON object');
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.has(key)) return err(`field '${key}' is not supported (supported: ${[...KEYS].join(', ')})`);
  if (o.method !== 'ngram') return err(`method must be "ngram" (the only method served), got ${JSON.stringify(o.method)}`);
  if (o.num_speculative_tokens === undefined) return err("field 'num_speculative_tokens' is required");
  const k = intField(o.num_speculative_tokens, 'num_speculative_tokens', MAX_SPECULATIVE_TOKENS);
  if (!k.ok) return k;
  const givenMin = optionalIntField(o.prompt_lookup_min, 'prompt_lookup_min', MAX_LOOKUP);
  if (!givenMin.ok) return givenMin;
  const givenMax = optionalIntField(o.prompt_lookup_max, 'prompt_lookup_max', MAX_LOOKUP);
  if (!givenMax.ok) return givenMax;
  const neither = givenMin.value === null && givenMax.value === null;
  const min = neither ? 1 : givenMin.value ?? givenMax.value!;
  const max = neither ? 4 : givenMax.value ?? givenMin.value!;
  if (min > max) return err(`prompt_lookup_min (${min}) must be ≤ prompt_lookup_max (${max})`);
  const config: SpeculativeConfig = { method: 'ngram', numSpeculativeTokens: k.value, promptLookupMax: max, promptLookupMin: min };
  if (o.num_speculative_tokens_per_batch_size !== undefined && o.num_speculative_tokens_per_batch_size !== null) {
    const ranges = parseBatchSizeRanges(o.num_speculative_tokens_per_batch_size, k.value);
    if (!ranges.ok) return ranges;
    config.numSpeculativeTokensPerBatchSize = ranges.value;
  }
  if (o.disable_by_batch_size !== undefined && o.disable_by_batch_size !== null) {
    const n = o.disable_by_batch_size;
    // vLLM requires a threshold > 1 (a threshold of 1 would mean speculation never runs).
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 2 || n > MAX_BATCH_SIZE) return err(`disable_by_batch_size must be an integer in [2, ${MAX_BATCH_SIZE}], got ${JSON.stringify(n)}`);
    config.disableByBatchSize = n;
  }
  return ok(config);
}

/** vLLM's `[[start_bs, end_bs, k], ...]`: integer ranges, start ≤ end, no overlap, k in [0, num_speculative_tokens]. */
function parseBatchSizeRanges(v: unknown, maxK: number): Result<BatchSizeRange[], string> {
  const key = 'num_speculative_tokens_per_batch_size';
  if (!Array.isArray(v)) return err(`${key} must be a list of [start_bs, end_bs, k], got ${JSON.stringify(v)}`);
  const ranges: BatchSizeRange[] = [];
  for (const [i, entry] of v.entries()) {
    const at = `${key}[${i}]`;
    if (!Array.isArray(entry) || entry.length !== 3 || !entry.every((x) => typeof x === 'number' && Number.isInteger(x))) {
      return err(`${at} must be [start_bs, end_bs, k] of integers, got ${JSON.stringify(entry)}`);
    }
    const [start, end, k] = entry as [number, number, number];
    if (start < 1 || end > MAX_BATCH_SIZE || start > end) return err(`${at} needs 1 ≤ start_bs ≤ end_bs ≤ ${MAX_BATCH_SIZE}, got ${JSON.stringify(entry)}`);
    if (k < 0 || k > maxK) return err(`${at}: k must be in [0, num_speculative_tokens = ${maxK}], got ${k}`);
    const overlap = ranges.findIndex(([s, e]) => start <= e && s <= end);
    if (overlap >= 0) return err(`${at} ${JSON.stringify(entry)} overlaps ${key}[${overlap}] ${JSON.stringify(ranges[overlap])}`);
    ranges.push([start, end, k]);
  }
  return ok(ranges);
}

/** Drafts per decode in a step that runs numDecodes decodes: 0 at or past disableByBatchSize, else the range's k, else k. */
export function numSpeculativeTokensFor(config: SpeculativeConfig, numDecodes: number): number {
  if (config.disableByBatchSize !== undefined && numDecodes >= config.disableByBatchSize) return 0;
  const range = config.numSpeculativeTokensPerBatchSize?.find(([start, end]) => start <= numDecodes && numDecodes <= end);
  return range === undefined ? config.numSpeculativeTokens : range[2];
}

/** A lookup bound as given, validated under its own name; null when absent (JSON null too, as vLLM's None). */
function optionalIntField(v: unknown, key: string, max: number): Result<number | null, string> {
  return v === undefined || v === null ? ok(null) : intField(v, key, max);
}

function intField(v: unknown, key: string, max: number): Result<number, string> {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) return err(`${key} must be an integer in [1, ${max}], got ${JSON.stringify(v)}`);
  return ok(v);
}
