import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createTracing, InMemorySpanExporter } from '@mini-dynamo/telemetry';
import { GatewayTelemetry, activeTraceCarrier, errorTypeOf } from './request-telemetry.js';
import { badRequest } from './api-error.js';

const decision = { workerId: 'w0', policy: 'kv' as const, reason: 'load' as const, numPromptBlocks: 2, overlapBlocks: 0, bestOverlapBlocks: 0, predictedCachedTokens: 0 };
const usage = { numPromptTokens: 40, numCompletionTokens: 3, numCachedTokens: 16 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A hono app shaped like the gateway: middleware, then a handler driving the observer. */
async function setup() {
  const memory = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName: 'gateway', exporters: [memory], batchDelayMs: 1 });
  const telemetry = new GatewayTelemetry({ model: 'tiny', tracing, collectProcessMetrics: false });
  const carriers: (Record<string, string> | null)[] = [];
  const app = new Hono();
  app.use('*', telemetry.middleware());
  app.post('/v1/completions', async (c) => {
    const mode = c.req.header('x-mode');
    if (mode === 'invalid') throw badRequest('bad field', 'temperature');
    carriers.push(activeTraceCarrier());
    const label = { requestId: 'cmpl-1-0', index: 0, numPromptTokens: 40, arrivalTimeMs: Date.now() };
    telemetry.router.observer.onDecision!(decision, { blockHashingMs: 0.01, indexerFindMatchesMs: 0.01, seqHashingMs: 0.01, schedulingMs: 0.02, totalMs: 0.05 }, { requestId: label.requestId, tokenIds: [], cacheSalt: null });
    telemetry.observer.onStart(label, decision);
    const encoder = new TextEncoder();
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await sleep(5);
        if (sent === 3) {
          telemetry.observer.onEnd(label, { kind: 'finished', finishReason: 'length', usage });
          controller.close();
          return;
        }
        sent++;
        telemetry.observer.onTokens(label, 1);
        controller.enqueue(encoder.encode(`data: ${sent}\n\n`));
      },
      cancel() { telemetry.observer.onEnd(label, { kind: 'aborted' }); },
    });
    return c.body(stream, 200, { 'content-type': 'text/event-stream' });
  });
  app.onError((e, c) => c.json((e as any).toJSON(), (e as any).status));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => { const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(s)); });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/completions`;
  const close = () => new Promise<void>((r) => { server.close(() => r()); (server as any).closeAllConnections?.(); });
  return { telemetry, tracing, memory, url, close, carriers };
}

test('a streamed request: x-trace-id, client traceparent as parent, worker carrier, frontend metrics', async () => {
  const { telemetry, tracing, memory, url, close, carriers } = await setup();
  const client = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const res = await fetch(url, { method: 'POST', headers: { traceparent: client }, body: '{}' });
  assert.equal(res.headers.get('x-trace-id'), '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(await res.text(), 'data: 1\n\ndata: 2\n\ndata: 3\n\n');
  await sleep(20);
  await tracing.forceFlush();
  const spans = memory.getFinishedSpans();
  const request = spans.find((s) => s.name === 'request')!;
  assert.equal(request.parentSpanContext?.spanId, '00f067aa0ba902b7');
  assert.equal(request.attributes['request.output_tokens'], 3);
  assert.equal(request.attributes['request.stream'], true);
  assert.deepEqual(spans.filter((s) => s.parentSpanContext?.spanId === request.spanContext().spanId).map((s) => s.name), ['routing']);
  assert.match(carriers[0]!.traceparent!, new RegExp(`^00-4bf92f3577b34da6a3ce929d0e0e4736-${request.spanContext().spanId}-01$`));
  const text = await telemetry.metricsText([]);
  assert.match(text, /dynamo_frontend_requests_total\{model="tiny",endpoint="completions",request_type="stream",status="success"\} 1/);
  assert.match(text, /dynamo_frontend_time_to_first_token_seconds_count\{model="tiny"\} 1/);
  assert.match(text, /dynamo_frontend_inter_token_latency_seconds_count\{model="tiny"\} 2/);
  assert.match(text, /dynamo_frontend_output_tokens_total\{model="tiny"\} 3/);
  assert.match(text, /dynamo_frontend_cached_tokens_sum\{model="tiny"\} 16/);
  assert.match(text, /dynamo_frontend_inflight_requests\{model="tiny"\} 0/);
  assert.match(text, /dynamo_frontend_queued_requests\{model="tiny"\} 0/);
  assert.match(text, /dynamo_router_overhead_total_ms_count 1/);
  await close();
  await tracing.shutdown();
});

test('a client that hangs up mid-stream is counted as disconnected', async () => {
  const { telemetry, tracing, url, close } = await setup();
  const controller = new AbortController();
  const res = await fetch(url, { method: 'POST', body: '{}', signal: controller.signal });
  const reader = res.body!.getReader();
  await reader.read();
  controller.abort();
  await sleep(100);
  const text = await telemetry.metricsText([]);
  assert.match(text, /dynamo_frontend_disconnected_clients_total\{model="tiny"\} 1/);
  assert.match(text, /status="disconnected"\} 1/);
  assert.match(text, /dynamo_frontend_inflight_requests\{model="tiny"\} 0/);
  await close();
  await tracing.shutdown();
});

test('an error reply is counted by error type; the error trace is kept', async () => {
  const { telemetry, tracing, memory, url, close } = await setup();
  const res = await fetch(url, { method: 'POST', headers: { 'x-mode': 'invalid' }, body: '{}' });
  assert.equal(res.status, 400);
  assert.match(res.headers.get('x-trace-id') ?? '', /^[0-9a-f]{32}$/);
  const text = await telemetry.metricsText([]);
  assert.match(text, /dynamo_frontend_errors_total\{model="tiny",error_type="invalid_request"\} 1/);
  assert.match(text, /status="error"\} 1/);
  await tracing.forceFlush();
  const request = memory.getFinishedSpans().find((s) => s.name === 'request')!;
  assert.equal(request.status.code, 2);
  assert.equal(request.attributes['error.type'], 'invalid_request');
  await close();
  await tracing.shutdown();
});

test('error types follow the one error mapping (status + code)', () => {
  assert.equal(errorTypeOf(400, 'context_length_exceeded'), 'prompt_too_long');
  assert.equal(errorTypeOf(400, null), 'invalid_request');
  assert.equal(errorTypeOf(404, 'model_not_found'), 'not_found');
  assert.equal(errorTypeOf(413, null), 'payload_too_large');
  assert.equal(errorTypeOf(429, 'all_workers_busy'), 'overloaded');
  assert.equal(errorTypeOf(503, 'worker_failed'), 'worker_failed');
  assert.equal(errorTypeOf(503, 'no_workers'), 'overloaded');
  assert.equal(errorTypeOf(500, 'internal_error'), 'internal');
});
