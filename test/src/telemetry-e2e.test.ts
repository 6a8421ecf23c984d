// End to end through gateway + worker thread with the real default model: the exported span tree
// (names, parentage, key attributes), the client's traceparent as the parent, x-trace-id, and
// promtool on the gateway's /metrics (gateway + merged worker registries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startServer } from '@mini-dynamo/gateway';
import { findPromtool, promtoolCheckMetrics, readTraceFile, breakdown, type SpanRecord } from '@mini-dynamo/telemetry';

const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

test('one streamed chat request yields the seed-000 span tree across gateway and worker', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'telemetry-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const jsonlPath = join(dir, 'traces.jsonl');
  const server = await startServer({
    numWorkers: 1, port: 0, host: '127.0.0.1', numBlocks: 128, log: () => {},
    tracing: { jsonlPath, sampleRatio: 1, perStepSpans: true, batchDelayMs: 10 },
  });
  let metricsText = '';
  let traceId: string | null = null;
  try {
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0, timeout: 60_000 });
    const { data: stream, response } = await client.chat.completions.create(
      { model: 'stories260K', messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 6, stream: true, temperature: 0 },
      { headers: { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` } },
    ).withResponse();
    traceId = response.headers.get('x-trace-id');
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.ok(text.length > 0);
    metricsText = await (await fetch(`${server.url}/metrics`)).text();
  } finally {
    await server.close();
  }
  assert.equal(traceId, CLIENT_TRACE, 'x-trace-id carries the client trace');

  const parsed = readTraceFile(jsonlPath);
  const trace = parsed.traces.find((t) => t.traceId === CLIENT_TRACE);
  assert.ok(trace, `trace ${CLIENT_TRACE} exported (${parsed.traces.length} traces)`);
  const byId = new Map(trace.spans.map((s) => [s.spanId, s]));
  const parentName = (s: SpanRecord) => (s.parentSpanId === null ? null : byId.get(s.parentSpanId)?.name ?? `remote:${s.parentSpanId}`);
  const only = (name: string) => {
    const found = trace.spans.filter((s) => s.name === name);
    assert.equal(found.length, 1, `one ${name}`);
    return found[0]!;
  };
  const request = only('request');
  assert.equal(request.parentSpanId, CLIENT_SPAN, 'the client traceparent is the parent of request');
  assert.equal(request.service, 'mini-dynamo-gateway');
  for (const name of ['routing', 'scheduling', 'prefill', 'decode']) assert.equal(parentName(only(name)), 'request', name);
  for (const name of ['kv_cache_lookup', 'load_balance']) assert.equal(parentName(only(name)), 'routing', name);
  for (const name of ['queue_wait', 'budget_allocation']) assert.equal(parentName(only(name)), 'scheduling', name);
  for (const name of ['kv_cache_alloc', 'sampling_prefill']) assert.equal(parentName(only(name)), 'prefill', name);
  assert.ok(trace.spans.some((s) => s.name === 'model_forward_prefill' && parentName(s) === 'prefill'));
  const steps = trace.spans.filter((s) => s.name === 'decode_step');
  assert.ok(steps.length >= 4, `decode steps: ${steps.length}`);
  for (const s of steps) assert.equal(parentName(s), 'decode');
  for (const name of ['model_forward_decode', 'sampling_decode', 'token_emit']) {
    assert.ok(trace.spans.filter((s) => s.name === name).every((s) => parentName(s) === 'decode_step'), name);
  }
  assert.equal(only('scheduling').service, 'mini-dynamo-worker');
  assert.equal(request.attributes['gen_ai.request.model'], 'stories260K');
  assert.equal(request.attributes['gen_ai.operation.name'], 'chat');
  assert.equal(request.attributes['request.stream'], true);
  assert.equal(typeof request.attributes['request.ttft_ms'], 'number');
  assert.equal(only('routing').attributes['routing.selected_worker'], 'worker-0');
  assert.equal(typeof only('scheduling').attributes['scheduling.queue_depth_at_entry'], 'number');
  assert.ok((only('prefill').attributes['prefill.prompt_tokens'] as number) > 0);
  const b = breakdown(trace);
  assert.ok(b.ttftMs !== null && b.ttftMs > 0 && b.tbtMs.length === steps.length);

  assert.match(metricsText, /dynamo_frontend_requests_total\{model="stories260K",endpoint="chat_completions",request_type="stream",status="success"\} 1/);
  assert.match(metricsText, /dynamo_scheduler_sequences_finished_total\{finish_reason="length",model="stories260K",worker_id="worker-0"\} 1/);
  if (findPromtool()) {
    const lint = promtoolCheckMetrics(metricsText);
    assert.ok(lint.available);
    assert.deepEqual(lint.unexpected, [], lint.output);
  }
});
