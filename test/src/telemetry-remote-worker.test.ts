// The HTTP hop: a standalone worker (its own process role, here in-process) gets a GenerateRequest
// over HTTP carrying the caller's W3C trace context; its spans must join that trace, and its own
// /metrics (worker registry + process metrics) must pass promtool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir } from '@mini-dynamo/model';
import { samplingParams, type GenerateRequest } from '@mini-dynamo/protocol';
import { findPromtool, promtoolCheckMetrics, readTraceFile, type SpanRecord } from '@mini-dynamo/telemetry';
import { startStandaloneWorker } from '@mini-dynamo/worker';
import { startNatsServer } from './router-fixtures.js';

const TRACE = '5bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '10f067aa0ba902b7';
const HEADER_TRACE = '6bf92f3577b34da6a3ce929d0e0e4736';

test('worker spans over the HTTP hop join the caller trace; the worker /metrics passes promtool', async (t) => {
  const nats = await startNatsServer();
  t.after(() => nats.stop());
  const dir = mkdtempSync(join(tmpdir(), 'remote-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const jsonlPath = join(dir, 'worker.jsonl');
  const started = await startStandaloneWorker({
    natsUrl: nats.url, workerId: 'remote-0', runner: 'mock', modelDir: defaultModelDir(), device: 'cpu', blockSize: 16,
    numBlocks: 64, heartbeatMs: 200, log: () => {}, tracing: { jsonlPath, batchDelayMs: 10, perStepSpans: true },
  });
  assert.ok(started.ok, started.ok ? '' : started.error.message);
  const worker = started.value;
  let metrics = '';
  try {
    const request: GenerateRequest = {
      requestId: 'hop-1', promptTokenIds: Array.from({ length: 40 }, (_, i) => 5 + i), cacheSalt: null,
      sampling: samplingParams({ maxTokens: 5, ignoreEos: true, temperature: 0 }),
      traceContext: { traceparent: `00-${TRACE}-${PARENT}-01` }, arrivalTimeMs: Date.now(),
    };
    const res = await fetch(`${worker.url}/generate`, { method: 'POST', body: JSON.stringify(request), headers: { 'content-type': 'application/json' } });
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    assert.equal(lines.at(-1)!.kind, 'finished');
    // a caller that sends the W3C header only (no traceContext in the body) is joined too
    const { traceContext: _dropped, ...bare } = { ...request, requestId: 'hop-2' };
    const viaHeader = await fetch(`${worker.url}/generate`, {
      method: 'POST', body: JSON.stringify(bare), headers: { 'content-type': 'application/json', traceparent: `00-${HEADER_TRACE}-${PARENT}-01` },
    });
    assert.match(await viaHeader.text(), /"finished"/);
    metrics = await (await fetch(`${worker.url}/metrics`)).text();
  } finally {
    await worker.close();
  }
  const traces = readTraceFile(jsonlPath).traces;
  assert.ok(traces.some((t) => t.traceId === HEADER_TRACE && t.spans.some((s) => s.name === 'decode' && s.parentSpanId === PARENT)));
  const trace = traces.find((t) => t.traceId === TRACE);
  assert.ok(trace, 'worker spans exported under the caller trace id');
  for (const name of ['scheduling', 'prefill', 'decode']) {
    const span: SpanRecord | undefined = trace.spans.find((s) => s.name === name);
    assert.equal(span?.parentSpanId, PARENT, `${name} is a child of the caller span`);
    assert.equal(span?.service, 'mini-dynamo-worker');
  }
  assert.equal(trace.spans.filter((s) => s.name === 'decode_step').length, 4);
  assert.match(metrics, /dynamo_scheduler_sequences_finished_total\{finish_reason="length",model="stories260K",worker_id="remote-0"\} 2/);
  assert.match(metrics, /process_cpu_seconds_total/);
  if (findPromtool()) {
    const lint = promtoolCheckMetrics(metrics);
    assert.ok(lint.available);
    assert.deepEqual(lint.unexpected, [], lint.output);
  }
});
