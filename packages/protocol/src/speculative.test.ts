// parseSpeculativeConfig: vLLM's `--speculative-config` JSON shapes, the lookup-bound defaults, and one-line errors
// that name the offending field; the dynamic k by batch size (ranges and disable_by_batch_size) and its lookup.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_SPECULATIVE_TOKENS, numSpeculativeTokensFor, parseSpeculativeConfig, type SpeculativeConfig } from './speculative.js';

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

const BASE = '"method":"ngram","num_speculative_tokens":4';

test('num_speculative_tokens_per_batch_size: vLLM example shape parsed; k by running decodes, k outside every range', () => {
  const c = parsed(`{${BASE},"num_speculative_tokens_per_batch_size":[[1,2,4],[3,7,1],[8,512,0]]}`);
  assert.deepEqual(c.numSpeculativeTokensPerBatchSize, [[1, 2, 4], [3, 7, 1], [8, 512, 0]]);
  assert.deepEqual([1, 2, 3, 7, 8, 512, 513].map((n) => numSpeculativeTokensFor(c, n)), [4, 4, 1, 1, 0, 0, 4]);
  const gap = parsed(`{${BASE},"num_speculative_tokens_per_batch_size":[[4,6,2]]}`);
  assert.deepEqual([1, 3, 4, 6, 7].map((n) => numSpeculativeTokensFor(gap, n)), [4, 4, 2, 2, 4], 'outside: num_speculative_tokens');
  assert.equal('numSpeculativeTokensPerBatchSize' in parsed(`{${BASE}}`), false, 'absent unless given');
  assert.deepEqual(parsed(`{${BASE},"num_speculative_tokens_per_batch_size":[]}`).numSpeculativeTokensPerBatchSize, []);
});

test('num_speculative_tokens_per_batch_size errors: shape, integers, start ≤ end, no overlap, k in [0, num_speculative_tokens]', () => {
  const bad = (table: string) => error(`{${BASE},"num_speculative_tokens_per_batch_size":${table}}`);
  assert.match(bad('{"1":2}'), /^num_speculative_tokens_per_batch_size must be a list of \[start_bs, end_bs, k\]/);
  assert.match(bad('[[1,2]]'), /^num_speculative_tokens_per_batch_size\[0\] must be \[start_bs, end_bs, k\] of integers/);
  assert.match(bad('[[1,2,3],[3,4.5,1]]'), /^num_speculative_tokens_per_batch_size\[1\] must be .* of integers, got \[3,4.5,1\]/);
  assert.match(bad('[[1,"8",1]]'), /of integers/);
  assert.match(bad('[[5,4,1]]'), /^num_speculative_tokens_per_batch_size\[0\] needs 1 ≤ start_bs ≤ end_bs/);
  assert.match(bad('[[0,4,1]]'), /needs 1 ≤ start_bs/);
  assert.match(bad('[[1,4,5]]'), /^num_speculative_tokens_per_batch_size\[0\]: k must be in \[0, num_speculative_tokens = 4\], got 5/);
  assert.match(bad('[[1,4,-1]]'), /k must be in \[0, /);
  assert.match(bad('[[1,4,2],[6,9,1],[9,12,0]]'), /^num_speculative_tokens_per_batch_size\[2\] \[9,12,0\] overlaps num_speculative_tokens_per_batch_size\[1\] \[6,9,1\]/);
  assert.match(bad('[[3,8,2],[1,10,1]]'), /\[1\] \[1,10,1\] overlaps .*\[0\]/, 'a range covering another');
});

test('disable_by_batch_size: no drafts at N running decodes or more (vLLM: running >= N), N ≥ 2; combines with the table', () => {
  const c = parsed(`{${BASE},"disable_by_batch_size":4}`);
  assert.equal(c.disableByBatchSize, 4);
  assert.deepEqual([1, 3, 4, 100].map((n) => numSpeculativeTokensFor(c, n)), [4, 4, 0, 0]);
  const both = parsed(`{${BASE},"disable_by_batch_size":6,"num_speculative_tokens_per_batch_size":[[2,10,2]]}`);
  assert.deepEqual([1, 2, 5, 6].map((n) => numSpeculativeTokensFor(both, n)), [4, 2, 2, 0]);
  assert.equal(parsed(`{${BASE},"disable_by_batch_size":null}`).disableByBatchSize, undefined);
  for (const v of ['1', '0', '2.5', '"4"', 'true']) assert.match(error(`{${BASE},"disable_by_batch_size":${v}}`), /^disable_by_batch_size must be an integer in \[2, /, v);
});
