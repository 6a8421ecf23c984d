// parseSpeculativeConfig: vLLM's `--speculative-config` JSON shapes, the lookup-bound defaults, and one-line errors
// that name the offending field.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SPECULATIVE_TOKENS, parseSpeculativeConfig, type SpeculativeConfig } from './speculative.js';

function parsed(text: string): SpeculativeConfig {
  const r = parseSpeculativeConfig(text);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

function error(text: string): string {
  const r = parseSpeculativeConfig(text);
  assert.ok(!r.ok, `expected an error for ${text}`);
  assert.doesNotMatch(r.error, /\n/);
  return r.error;
}

test('parses the vLLM n-gram example shape', () => {
  assert.deepEqual(parsed('{"method":"ngram","num_speculative_tokens":5,"prompt_lookup_max":4,"prompt_lookup_min":1}'),
    { method: 'ngram', numSpeculativeTokens: 5, promptLookupMax: 4, promptLookupMin: 1 });
  assert.deepEqual(parsed(' { "prompt_lookup_min": 2, "num_speculative_tokens": 3, "method": "ngram", "prompt_lookup_max": 7 } '),
    { method: 'ngram', numSpeculativeTokens: 3, promptLookupMax: 7, promptLookupMin: 2 });
});

test('lookup bounds default to 1 and 4; one given makes the other equal to it (vLLM rule)', () => {
  const k = (extra: string) => parsed(`{"method":"ngram","num_speculative_tokens":4${extra}}`);
  assert.deepEqual([k('').promptLookupMin, k('').promptLookupMax], [1, 4]);
  assert.deepEqual([k(',"prompt_lookup_max":3').promptLookupMin, k(',"prompt_lookup_max":3').promptLookupMax], [3, 3]);
  assert.deepEqual([k(',"prompt_lookup_min":6').promptLookupMin, k(',"prompt_lookup_min":6').promptLookupMax], [6, 6]);
  assert.deepEqual([k(',"prompt_lookup_min":null').promptLookupMin, k(',"prompt_lookup_min":null').promptLookupMax], [1, 4]);
  assert.equal(k('').numSpeculativeTokens, 4);
});

test('num_speculative_tokens bounds: 1 and MAX_SPECULATIVE_TOKENS pass, outside fails naming the field', () => {
  assert.equal(parsed('{"method":"ngram","num_speculative_tokens":1}').numSpeculativeTokens, 1);
  assert.equal(parsed(`{"method":"ngram","num_speculative_tokens":${MAX_SPECULATIVE_TOKENS}}`).numSpeculativeTokens, MAX_SPECULATIVE_TOKENS);
  for (const bad of ['0', String(MAX_SPECULATIVE_TOKENS + 1), '2.5', '"4"', 'null', '-1']) {
    assert.match(error(`{"method":"ngram","num_speculative_tokens":${bad}}`), /^num_speculative_tokens must be an integer in \[1, 16\]/, bad);
  }
  assert.match(error('{"method":"ngram"}'), /'num_speculative_tokens' is required/);
});

test('each lookup-bound error names its own field, whichever bound is given', () => {
  assert.match(error('{"method":"ngram","num_speculative_tokens":2,"prompt_lookup_max":0}'), /^prompt_lookup_max must be/);
  assert.match(error('{"method":"ngram","num_speculative_tokens":2,"prompt_lookup_min":"x"}'), /^prompt_lookup_min must be/);
  assert.match(error('{"method":"ngram","num_speculative_tokens":2,"prompt_lookup_min":1,"prompt_lookup_max":65}'), /^prompt_lookup_max must be an integer in \[1, 64\]/);
  assert.match(error('{"method":"ngram","num_speculative_tokens":2,"prompt_lookup_min":5,"prompt_lookup_max":2}'),
    /prompt_lookup_min \(5\) must be ≤ prompt_lookup_max \(2\)/);
});

test('method, unknown fields and non-object JSON are refused with the field named', () => {
  assert.match(error('{"num_speculative_tokens":2}'), /^method must be "ngram"/);
  assert.match(error('{"method":"eagle","num_speculative_tokens":2}'), /^method must be "ngram".*"eagle"/);
  assert.match(error('{"method":"ngram","num_speculative_tokens":2,"model":"x"}'), /^field 'model' is not supported/);
  assert.match(error('{"method":"ngram",'), /^is not JSON/);
  assert.match(error('[1]'), /^must be a JSON object/);
  assert.match(error('null'), /^must be a JSON object/);
  assert.match(error('5'), /^must be a JSON object/);
});
