// Unit tests for the seed 004 collector: score arithmetic, and the HTTP API contract against a
// loopback server that answers like Prometheus (the real-Prometheus run is test/src/infra-prometheus).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectCoreMetrics, collectorQueries, formatReport, parseDuration, parseTime } from './prometheus-collector.js';
import { optimizationScore, type CoreMetrics } from './prometheus-collector-score.js';

const core = (over: Partial<CoreMetrics>): CoreMetrics => ({
  kvEfficiency: 0.8, kvEfficiencySource: 'frontend_cached_tokens',
  ttftP50: 0.2, ttftP95: 1, ttftP99: 2, itlP50: 0.01, itlP95: 0.025, itlP99: 0.04, ...over,
});

test('optimization score: 0.4·KVE + 0.4·min(1, 0.5/ttft_p95) + 0.2·min(1, 0.05/itl_p95)', () => {
  assert.equal(optimizationScore(core({})), 0.4 * 0.8 + 0.4 * 0.5 + 0.2 * 1);
  assert.equal(optimizationScore(core({ kvEfficiency: 1, ttftP95: 0, itlP95: 0.05 })), 1);
  assert.ok(Math.abs(optimizationScore(core({ kvEfficiency: 0, ttftP95: 5, itlP95: 0.5 }))! - (0.04 + 0.02)) < 1e-12);
  assert.equal(optimizationScore(core({ itlP95: null })), null);
  assert.equal(optimizationScore(core({ kvEfficiency: null })), null);
});

/** A loopback stand-in for Prometheus' /api/v1/query answering from `answers` (query → value). */
async function fakePrometheus(answers: (query: string) => string | null | 'error'): Promise<{ url: string; seen: URLSearchParams[]; server: Server }> {
  const seen: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const params = new URL(req.url ?? '/', 'http://x').searchParams;
    seen.push(params);
    const value = answers(params.get('query') ?? '');
    res.setHeader('content-type', 'application/json');
    if (value === 'error') {
      res.statusCode = 400;
      return void res.end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error' }));
    }
    const result = value === null ? [] : [{ metric: {}, value: [Number(params.get('time')), value] }];
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
}

test('collects every value at `end` over a window of end-start, and scores it', async () => {
  const prom = await fakePrometheus((q) => {
    if (q.includes('cached_tokens_sum')) return '0.75';
    if (q.startsWith('histogram_quantile(0.95') && q.includes('time_to_first_token')) return '0.25';
    if (q.startsWith('histogram_quantile(0.95') && q.includes('inter_token')) return '0.1';
    if (q.includes('prefix_cache')) return '0.1';
    return 'NaN';
  });
  try {
    const r = await collectCoreMetrics({ prometheusUrl: prom.url, start: 1000, end: 1060, model: 'stories260K' });
    assert.equal(r.kvEfficiency, 0.75);
    assert.equal(r.kvEfficiencySource, 'frontend_cached_tokens');
    assert.equal(r.ttftP95, 0.25);
    assert.equal(r.itlP95, 0.1);
    assert.equal(r.ttftP50, null, 'NaN (no data) reads as null');
    assert.equal(r.score, 0.4 * 0.75 + 0.4 * 1 + 0.2 * 0.5);
    assert.equal(prom.seen.length, 8);
    for (const p of prom.seen) {
      assert.equal(p.get('time'), '1060');
      assert.match(p.get('query')!, /\[60000ms\]/);
      assert.match(p.get('query')!, /\{model="stories260K"\}/);
    }
    assert.match(formatReport(r), /Optimization score\s+0\.800/);
  } finally {
    prom.server.close();
  }
});

test('falls back to the workers\' prefix-cache hit rate when the frontend has no cached-token data', async () => {
  const prom = await fakePrometheus((q) => (q.includes('cached_tokens_sum') ? null : q.includes('prefix_cache') ? '0.4' : '0.01'));
  try {
    const r = await collectCoreMetrics({ prometheusUrl: prom.url, start: 0, end: 30 });
    assert.equal(r.kvEfficiency, 0.4);
    assert.equal(r.kvEfficiencySource, 'worker_prefix_cache');
    assert.equal(r.complete, true);
  } finally {
    prom.server.close();
  }
});

test('API errors and empty ranges are reported, not swallowed', async () => {
  const prom = await fakePrometheus(() => 'error');
  try {
    await assert.rejects(collectCoreMetrics({ prometheusUrl: prom.url, start: 0, end: 30 }), /Prometheus query failed \(400\): parse error/);
    await assert.rejects(collectCoreMetrics({ prometheusUrl: prom.url, start: 30, end: 30 }), /empty time range/);
    await assert.rejects(collectCoreMetrics({ prometheusUrl: 'http://127.0.0.1:1', start: 0, end: 30 }), /cannot reach Prometheus at http:\/\/127\.0\.0\.1:1/);
  } finally {
    prom.server.close();
  }
});

test('queries, durations and times', () => {
  const q = collectorQueries(90.4001);
  assert.equal(q.ttftP99, 'histogram_quantile(0.99, sum by (le) (increase(dynamo_frontend_time_to_first_token_seconds_bucket[90401ms])))');
  assert.equal(q.kvEfficiency, 'sum(increase(dynamo_frontend_cached_tokens_sum[90401ms])) / sum(increase(dynamo_frontend_input_sequence_tokens_sum[90401ms]))');
  assert.equal(parseDuration('10m'), 600);
  assert.equal(parseDuration('1500ms'), 1.5);
  assert.throws(() => parseDuration('10 minutes'), /bad duration/);
  assert.equal(parseTime('1700000000'), 1_700_000_000);
  assert.equal(parseTime('2026-01-01T00:00:00Z'), Date.UTC(2026, 0, 1) / 1000);
  assert.throws(() => parseTime('yesterday'), /bad time/);
});
