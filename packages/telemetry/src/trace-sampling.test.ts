import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStatusCode, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTracing } from './tracing.js';
import { acceptsTraceId } from './trace-sampler.js';
import { extractContext } from './trace-context.js';

function setup(sampleRatio: number, tailSampling = true) {
  const memory = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName: 'test', sampleRatio, tailSampling, exporters: [memory], slowRequestSeconds: 2, slowTtftSeconds: 0.5, batchDelayMs: 5 });
  return { memory, tracing };
}

const tracesOf = (memory: InMemorySpanExporter) => new Set(memory.getFinishedSpans().map((s) => s.spanContext().traceId));

test('head ratio is respected (1,000 fast ok traces at ratio 0.1)', async () => {
  const { memory, tracing } = setup(0.1);
  const expected = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const root = tracing.tracer.startSpan('request');
    tracing.tracer.startSpan('routing', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
    if (acceptsTraceId(root.spanContext().traceId, 0.1)) expected.add(root.spanContext().traceId);
    root.end();
  }
  await tracing.forceFlush();
  const kept = tracesOf(memory);
  assert.deepEqual(kept, expected, 'exactly the head-sampled traces are kept');
  assert.ok(kept.size > 60 && kept.size < 140, `~100 of 1000 kept, got ${kept.size}`);
  assert.equal(memory.getFinishedSpans().length, kept.size * 2, 'a kept trace keeps all its spans');
  assert.equal(tracing.stats!.numTracesDropped, 1000 - kept.size);
  await tracing.shutdown();
});

test('errors and slow requests are always kept at ratio 0; fast ok ones dropped', async () => {
  const { memory, tracing } = setup(0);
  const t = tracing.tracer;
  const failed = t.startSpan('request');
  t.startSpan('prefill', {}, trace.setSpan(ROOT_CONTEXT, failed)).setStatus({ code: SpanStatusCode.ERROR }).end();
  failed.end();
  const slow = t.startSpan('request', { startTime: Date.now() - 2500 });
  slow.end();
  const slowTtft = t.startSpan('request', { attributes: { 'request.ttft_ms': 700 } });
  slowTtft.end();
  const fast = t.startSpan('request');
  fast.end();
  await tracing.forceFlush();
  const kept = tracesOf(memory);
  assert.ok(kept.has(failed.spanContext().traceId), 'error kept');
  assert.ok(kept.has(slow.spanContext().traceId), 'slow (duration) kept');
  assert.ok(kept.has(slowTtft.spanContext().traceId), 'slow (TTFT) kept');
  assert.ok(!kept.has(fast.spanContext().traceId), 'fast ok dropped');
  assert.deepEqual(tracing.stats!.kept, { sampled: 0, error: 1, slow: 2 });
  await tracing.shutdown();
});

test('a sampled remote parent is followed at ratio 0; an unsampled one is only tail-kept', async () => {
  const { memory, tracing } = setup(0);
  const sampled = extractContext({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  const unsampled = extractContext({ traceparent: '00-1af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
  tracing.tracer.startSpan('scheduling', {}, sampled).end();
  tracing.tracer.startSpan('scheduling', {}, unsampled).end();
  await tracing.forceFlush();
  const spans = memory.getFinishedSpans();
  assert.equal(spans.length, 1);
  assert.equal(spans[0]!.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
  assert.equal(spans[0]!.parentSpanContext?.spanId, 'b7ad6b7169203331');
  await tracing.shutdown();
});

test('with tail sampling off, unsampled spans are not even recorded', async () => {
  const { memory, tracing } = setup(0, false);
  const span = tracing.tracer.startSpan('request', { startTime: Date.now() - 5000 });
  assert.equal(span.isRecording(), false);
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
  await tracing.forceFlush();
  assert.equal(memory.getFinishedSpans().length, 0);
  await tracing.shutdown();
});

test('without exporters nothing is recorded but trace ids are still minted', async () => {
  const tracing = createTracing({ serviceName: 'off' });
  assert.equal(tracing.recording, false);
  const span = tracing.tracer.startSpan('request');
  assert.equal(span.isRecording(), false);
  assert.match(span.spanContext().traceId, /^[0-9a-f]{32}$/);
  assert.notEqual(span.spanContext().traceId, '0'.repeat(32));
  span.end();
  await tracing.shutdown();
});

test('the tail buffer is bounded: the oldest trace is decided early when maxTraces is exceeded', async () => {
  const { NodeTracerProvider } = await import('@opentelemetry/sdk-trace-node');
  const { TailSamplingSpanProcessor } = await import('./tail-sampling-processor.js');
  const { DynamoTraceSampler } = await import('./trace-sampler.js');
  const memory = new InMemorySpanExporter();
  const processor = new TailSamplingSpanProcessor(memory, { slowRequestSeconds: 2, slowTtftSeconds: 0.5, maxTraces: 2, batchDelayMs: 1 });
  const provider = new NodeTracerProvider({ sampler: new DynamoTraceSampler({ ratio: 1, tail: true }), spanProcessors: [processor] });
  const tracer = provider.getTracer('t');
  const open = [1, 2, 3].map(() => tracer.startSpan('request'));
  const child = tracer.startSpan('routing', {}, trace.setSpan(ROOT_CONTEXT, open[0]!));
  child.end();
  await provider.forceFlush();
  assert.deepEqual(memory.getFinishedSpans().map((s) => s.name), ['routing'], 'trace 1 was flushed when trace 3 arrived');
  for (const s of open) s.end();
  await provider.forceFlush();
  assert.equal(memory.getFinishedSpans().length, 4);
  await provider.shutdown();
});
