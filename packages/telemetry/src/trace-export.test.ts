import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanStatusCode, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { createTracing } from './tracing.js';
import { parseTraces, readTraceFile } from './trace-file.js';
import { ThroughputWindow } from './throughput-window.js';

test('JSONL export round-trips through the trace reader (parentage, attributes, events, status, sampled flag)', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'jsonl-')), 'nested', 'traces.jsonl');
  const tracing = createTracing({ serviceName: 'svc', jsonlPath: path, batchDelayMs: 1 });
  const root = tracing.tracer.startSpan('request', { attributes: { 'request.ttft_ms': 12.5 } });
  const child = tracing.tracer.startSpan('decode', {}, trace.setSpan(ROOT_CONTEXT, root));
  child.addEvent('preempted', { 'preemption.reason': 'memory_pressure' });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  root.end();
  await tracing.shutdown();
  const parsed = readTraceFile(path);
  assert.equal(parsed.traces.length, 1);
  const [t] = parsed.traces;
  assert.equal(t!.root.name, 'request');
  assert.equal(t!.root.service, 'svc');
  assert.equal(t!.root.attributes['request.ttft_ms'], 12.5);
  const decode = t!.spans.find((s) => s.name === 'decode')!;
  assert.equal(decode.parentSpanId, t!.root.spanId);
  assert.deepEqual(decode.status, { code: 'ERROR', message: 'boom' });
  assert.equal(decode.events[0]!.attributes['preemption.reason'], 'memory_pressure');
  assert.equal(decode.sampled, true);
  assert.ok(decode.durationMs >= 0 && decode.endTimeMs >= decode.startTimeMs);
});

test('OTLP/JSON (what a collector file exporter writes) is read too', () => {
  const doc = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'gw' } }] }, scopeSpans: [{ spans: [
    { traceId: 'ab'.repeat(16), spanId: '01'.repeat(8), name: 'request', startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000250000000',
      attributes: [{ key: 'request.ttft_ms', value: { doubleValue: 40 } }, { key: 'gen_ai.usage.output_tokens', value: { intValue: '7' } }], status: { code: 2 }, flags: 1 },
  ] }] }] };
  const parsed = parseTraces(JSON.stringify(doc));
  const root = parsed.traces[0]!.root;
  assert.equal(root.service, 'gw');
  assert.equal(root.durationMs, 250);
  assert.equal(root.attributes['gen_ai.usage.output_tokens'], 7);
  assert.equal(root.status.code, 'ERROR');
});

test('OTLP/HTTP export posts kept spans to the configured endpoint', async () => {
  const bodies: number[] = [];
  const server = createServer((req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => { bodies.push(n); res.writeHead(200, { 'content-type': 'application/json' }); res.end('{}'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const tracing = createTracing({ serviceName: 'svc', otlp: { url }, batchDelayMs: 1 });
  tracing.tracer.startSpan('request').end();
  await tracing.shutdown();
  await new Promise<void>((r) => server.close(() => r()));
  assert.equal(bodies.length, 1);
  assert.ok(bodies[0]! > 20);
});

test('throughput window: tokens in the window over its length, decaying to 0 when idle', () => {
  let now = 0;
  const w = new ThroughputWindow(10, () => now);
  w.add(100, 20);
  now = 5000;
  w.add(0, 30);
  assert.deepEqual(w.rates(), { prefill: 10, decode: 5, combined: 15 });
  now = 12_000;
  assert.deepEqual(w.rates(), { prefill: 0, decode: 3, combined: 3 });
  now = 16_000;
  assert.deepEqual(w.rates(), { prefill: 0, decode: 0, combined: 0 });
});
