import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpanRecord } from './span-record.js';
import { groupTraces, parseTraces } from './trace-file.js';
import { breakdown, classify } from './trace-analyzer.js';
import { analyzeTraces } from './trace-analysis.js';
import { createTracing } from './tracing.js';
import { RequestTrace } from './request-spans.js';

interface Shape { queue: number; prefill: number; routing?: number; prompt?: number; cached?: number; steps?: number[]; error?: boolean; sampled?: boolean }

let seq = 0;
/** A hand-built trace: request → routing, scheduling, prefill, decode → decode_step × steps. */
function trace(s: Shape): SpanRecord[] {
  const traceId = (++seq).toString(16).padStart(32, '0');
  let t = 1_000_000;
  const spans: SpanRecord[] = [];
  const span = (name: string, parent: string | null, start: number, dur: number, attributes: SpanRecord['attributes'] = {}): string => {
    const spanId = (spans.length + 1).toString(16).padStart(16, '0');
    spans.push({ traceId, spanId, parentSpanId: parent, name, service: 'x', startTimeMs: start, endTimeMs: start + dur, durationMs: dur,
      attributes, events: [], status: { code: 'UNSET' }, sampled: s.sampled ?? true });
    return spanId;
  };
  const routing = s.routing ?? 1;
  const steps = s.steps ?? [20, 20, 20, 20];
  const decodeMs = steps.reduce((a, b) => a + b, 0);
  const ttft = routing + s.queue + s.prefill;
  const root = span('request', null, t, ttft + decodeMs, { 'request.id': `req-${seq}`, 'request.ttft_ms': ttft });
  span('routing', root, t, routing);
  t += routing;
  span('scheduling', root, t, s.queue, { 'scheduling.queue_depth_at_entry': 5 });
  t += s.queue;
  span('prefill', root, t, s.prefill, { 'prefill.prompt_tokens': s.prompt ?? 500, 'prefill.cached_tokens': s.cached ?? 0 });
  t += s.prefill;
  const decode = span('decode', root, t, decodeMs);
  for (const d of steps) { span('decode_step', decode, t, d); t += d; }
  if (s.error) spans[spans.length - 1]!.status = { code: 'ERROR', message: 'boom' };
  return spans;
}

const diagnose = (s: Shape) => classify(breakdown(groupTraces(trace(s))[0]!));

test('queue saturation: scheduling > 60 % of time before the first token', () => {
  const d = diagnose({ queue: 300, prefill: 50, routing: 1 });
  assert.equal(d.category, 'queue_saturation');
  assert.equal(d.dominantSpan, 'scheduling');
  assert.ok(Math.abs(d.dominantPct - (300 / 351) * 100) < 1e-9);
  assert.match(d.recommendation, /queue time: 300ms of 351ms TTFT/);
});

test('prefill without cache vs compute-bound prefill (hit rate 10 % boundary)', () => {
  const noCache = diagnose({ queue: 5, prefill: 200, prompt: 1000, cached: 50 });
  assert.equal(noCache.category, 'prefill_no_cache');
  assert.match(noCache.recommendation, /Cache hit rate is 5\.0%/);
  const bound = diagnose({ queue: 5, prefill: 200, prompt: 1000, cached: 512 });
  assert.equal(bound.category, 'prefill_compute_bound');
  assert.match(bound.recommendation, /51\.2% cache hit/);
});

test('decode latency spike: max step > 3 × average, spikes counted above 2 × average', () => {
  const d = diagnose({ queue: 10, prefill: 10, routing: 10, steps: [10, 10, 10, 10, 10, 10, 10, 10, 10, 200] });
  assert.equal(d.category, 'decode_latency_spike');
  assert.match(d.recommendation, /max 200ms vs avg 29ms\. 1 spikes/);
});

test('balanced when nothing dominates', () => {
  assert.equal(diagnose({ queue: 40, prefill: 50, routing: 30, steps: [20, 25, 30] }).category, 'balanced');
});

test('SLO report: percentiles vs targets, error rate over head-sampled traces only', () => {
  const spans = [
    ...Array.from({ length: 98 }, () => trace({ queue: 20, prefill: 30, steps: [20, 20] })),
    trace({ queue: 600, prefill: 30, steps: [20, 160] }),
    trace({ queue: 20, prefill: 30, error: true }),
    trace({ queue: 20, prefill: 30, error: true, sampled: false }),
  ].flat();
  const a = analyzeTraces(parseTraces(spans.map((s) => JSON.stringify(s)).join('\n')), 500);
  const row = (n: string) => a.slo.rows.find((r) => r.name === n)!;
  assert.equal(a.slo.numRequests, 101);
  assert.equal(row('ttft_p50_ms').value, 51);
  assert.equal(row('ttft_p50_ms').status, 'met');
  assert.equal(row('ttft_p99_ms').value, 51);
  assert.equal(row('itl_p99_ms').value, 20);
  assert.equal(row('itl_p99_ms').status, 'met');
  assert.equal(row('error_rate').value, 1 / 100, 'the tail-kept unsampled error does not count');
  assert.equal(row('error_rate').status, 'violated');
  assert.deepEqual(a.categories, { queue_saturation: 1, balanced: 2 });
});

test('CLI reads a JSONL file written by the exporter and prints diagnoses with numbers', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'traces-'));
  const path = join(dir, 'traces.jsonl');
  const tracing = createTracing({ serviceName: 'gw', jsonlPath: path, batchDelayMs: 1 });
  const rt = new RequestTrace(tracing.tracer, {}, '/v1/completions', Date.now() - 800);
  rt.firstToken(Date.now() - 100);
  rt.finish({ status: 'error', errorType: 'internal', message: 'x', httpStatus: 500 });
  await tracing.shutdown();
  writeFileSync(path, readFileSync(path, 'utf8') + trace({ queue: 400, prefill: 20 }).map((s) => JSON.stringify(s)).join('\n') + '\nnot json\n');
  const cli = fileURLToPath(new URL('./trace-analyzer-cli.js', import.meta.url));
  const run = spawnSync(process.execPath, [cli, path, '--slow-ms', '300'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /2 traces, 10 spans, 1 unreadable lines skipped/);
  assert.match(run.stdout, /queue_saturation \(scheduling 95%\)/);
  assert.match(run.stdout, /failed  error=internal/);
  assert.match(run.stdout, /Failed in `request` before any worker ran it \(error.type=internal\)/);
  assert.match(run.stdout, /\| ttft_p99_ms \| 70\d\.\dms \| 200\.0ms \| 500\.0ms \| violated/);
  const json = spawnSync(process.execPath, [cli, path, '--json'], { encoding: 'utf8' });
  assert.equal(JSON.parse(json.stdout).numTraces, 2);
  assert.equal(spawnSync(process.execPath, [cli], { encoding: 'utf8' }).status, 2);
  // the same spans split over two files (one per process) merge by trace id
  const lines = readFileSync(path, 'utf8').split('\n');
  const half = join(dir, 'b.jsonl');
  writeFileSync(join(dir, 'a.jsonl'), lines.filter((_, i) => i % 2 === 0).join('\n'));
  writeFileSync(half, lines.filter((_, i) => i % 2 === 1).join('\n'));
  const split = spawnSync(process.execPath, [cli, join(dir, 'a.jsonl'), half, '--slow-ms', '300'], { encoding: 'utf8' });
  assert.equal(split.stdout, run.stdout);
});
