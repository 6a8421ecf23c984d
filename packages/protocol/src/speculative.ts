// Speculative decoding settings (vLLM's `--speculative-config`, n-gram / prompt-lookup method only) and
// their one parser, shared by `serve` and `worker`. Invariant: a parsed config satisfies
// 1 ≤ promptLookupMin ≤ promptLookupMax and 1 ≤ numSpeculativeTokens ≤ MAX_SPECULATIVE_TOKENS.

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
}

export const MAX_SPECULATIVE_TOKENS = 16;
const MAX_LOOKUP = 64;

const KEYS = new Set(['method', 'num_speculative_tokens', 'prompt_lookup_max', 'prompt_lookup_min']);

/**
 * Parses vLLM's JSON shape: `{"method": "ngram", "num_speculative_tokens": 5, "prompt_lookup_max": 4,
 * "prompt_lookup_min": 1}`. With one lookup bound given the other equals it (vLLM's rule); with neither they are
 * 1 and 4. The error is one line naming the field.
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
  return ok({ method: 'ngram', numSpeculativeTokens: k.value, promptLookupMax: max, promptLookupMin: min });
}

/** A lookup bound as given, validated under its own name; null when absent (JSON null too, as vLLM's None). */
function optionalIntField(v: unknown, key: string, max: number): Result<number | null, string> {
  return v === undefined || v === null ? ok(null) : intField(v, key, max);
}

function intField(v: unknown, key: string, max: number): Result<number, string> {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) return err(`${key} must be an integer in [1, ${max}], got ${JSON.stringify(v)}`);
  return ok(v);
}
