import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyRecord, type RequestRecord } from './event-log.js';
import { computeMetrics, itlGapsMs, meetsSlo, tpotMs, ttftMs } from './metrics.js';
import { cdfPoints, distribution, median, percentile } from './percentiles.js';
import { parseSlo } from './slo.js';

function rec(id: string, send: number, chunks: number[], end: number, usage?: [number, number, number | null], error: string | null = null): RequestRecord {
  const r = emptyRecord(id, send, usage?.[0] ?? 0, chunks.length);
  r.chunkTimesMs = chunks;
  r.endMs = end;
  r.error = error;
  r.usage = usage ? { promptTokens: usage[0], completionTokens: usage[1], cachedTokens: usage[2] } : null;
  return r;
}

test('percentiles interpolate linearly between closest ranks (numpy default)', () => {
  const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.equal(percentile(v, 50), 5.5);
  assert.equal(percentile(v, 90), 9.1);
  assert.ok(Math.abs(percentile(v, 99)! - 9.91) < 1e-9);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([], 50), null);
  assert.equal(percentile([10, 0], 25), 2.5, 'input order does not matter');
  const d = distribution([4, 1, 3, 2]);
  assert.deepEqual([d.count, d.mean, d.min, d.max, d.p50], [4, 2.5, 1, 4, 2.5]);
  assert.deepEqual(distribution([]).p99, null);
});

test('TPOT is per request; ITL pools every gap — they differ when requests stream at different speeds', () => {
  // A: 3 tokens at 100, 110, 120 (10 ms gaps). B: 2 tokens at 200, 300 (one 100 ms gap).
  const a = rec('a', 0, [100, 110, 120], 120, [10, 3, 0]);
  const b = rec('b', 0, [200, 300], 300, [10, 2, 0]);
  assert.equal(ttftMs(a), 100);
  assert.equal(tpotMs(a), 10);
  assert.equal(tpotMs(b), 100);
  assert.deepEqual(itlGapsMs(a), [10, 10]);
  const m = computeMetrics([a, b]);
  assert.equal(m.tpotMs.mean, 55, 'mean of per-request TPOT weighs requests equally');
  assert.equal(m.itlMs.mean, 40, 'mean of pooled ITL weighs every gap equally: (10+10+100)/3');
  assert.equal(m.ttftMs.p50, 150);
  assert.equal(m.e2eMs.max, 300);
});

test('TPOT uses usage token count when chunks carry several tokens; one token has no TPOT', () => {
  const r = rec('c', 0, [50, 150], 150, [4, 5, 0]);
  assert.equal(tpotMs(r), 25, '100 ms over 4 tokens after the first');
  assert.equal(tpotMs(rec('d', 0, [50], 50, [4, 1, 0])), null);
});

test('throughput, error rate, goodput and KV efficiency over a hand-built log', () => {
  const log = [
    rec('ok-fast', 0, [100, 110, 120], 120, [100, 3, 80]),
    rec('ok-slow-ttft', 0, [3000, 3010], 3010, [100, 2, 0]),
    rec('ok-slow-tpot', 1000, [1100, 1200, 1300], 1300, [200, 3, 120]),
    rec('failed', 500, [], 600, undefined, 'HTTP 503'),
  ];
  const slo = parseSlo('ttft=2000,tpot=25');
  assert.ok(slo.ok);
  if (!slo.ok) return;
  assert.deepEqual(log.map((r) => meetsSlo(r, slo.slo)), [true, false, false, false]);
  const m = computeMetrics(log, slo.slo);
  assert.equal(m.durationMs, 3010);
  assert.equal(m.numSucceeded, 3);
  assert.equal(m.errorRate, 0.25);
  assert.deepEqual(m.errors, { 'HTTP 503': 1 });
  assert.ok(Math.abs(m.requestThroughput - 3 / 3.01) < 1e-9);
  assert.ok(Math.abs(m.outputTokenThroughput - 8 / 3.01) < 1e-9);
  assert.equal(m.numGood, 1);
  assert.ok(Math.abs(m.goodput - 1 / 3.01) < 1e-9);
  assert.equal(m.goodFraction, 0.25);
  assert.equal(m.kvEfficiency, 200 / 400);
  assert.equal(m.ttftMs.count, 3, 'failed requests are not in latency distributions');
  const pooled = computeMetrics(log, slo.slo, 6020);
  assert.ok(Math.abs(pooled.requestThroughput - 3 / 6.02) < 1e-9, 'pooled rounds pass their summed duration');
});

test('KV efficiency is null when the server reports no cached tokens; SLO parsing rejects junk', () => {
  assert.equal(computeMetrics([rec('x', 0, [1, 2], 2, [10, 2, null])]).kvEfficiency, null);
  assert.equal(computeMetrics([]).requestThroughput, 0);
  assert.equal(parseSlo('ttft=abc').ok, false);
  assert.equal(parseSlo('latency=5').ok, false);
  const e2e = parseSlo('e2e=250');
  assert.ok(e2e.ok && e2e.slo.e2eMs === 250 && e2e.slo.ttftMs === null);
});

test('CDF points rise to 1 and are thinned', () => {
  const pts = cdfPoints(Array.from({ length: 1000 }, (_, i) => 1000 - i), 100);
  assert.ok(pts.length <= 101);
  assert.equal(pts[pts.length - 1]![1], 1);
  for (let i = 1; i < pts.length; i++) assert.ok(pts[i]![0] >= pts[i - 1]![0] && pts[i]![1] > pts[i - 1]![1]);
});

test('median is a measured value (upper middle for an even count), null for no data', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 3);
  assert.equal(median([]), null);
});
