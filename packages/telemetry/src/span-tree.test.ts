import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createTracing } from './tracing.js';
import { RequestTrace } from './request-spans.js';
import { EngineSpanRecorder } from './engine-spans.js';
import { ATTR } from './span-names.js';

const CLIENT = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
const decision = { workerId: 'w1', policy: 'kv' as const, reason: 'kv_overlap' as const, numPromptBlocks: 4, overlapBlocks: 2, bestOverlapBlocks: 2, predictedCachedTokens: 32 };
const timings = { blockHashingMs: 0.02, indexerFindMatchesMs: 0.01, seqHashingMs: 0.01, schedulingMs: 0.03, totalMs: 0.07 };
const step = (ids: string[], prefill = 0) => ({ scheduleSeconds: 0.0002, forwardSeconds: 0.003, postprocessSeconds: 0.0001, numPrefillSeqs: prefill, numDecodeSeqs: ids.length });

/** One request through gateway spans + worker spans: 2 prefill chunks, 3 decode steps, a preemption. */
async function runRequest(perStepSpans: boolean): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName: 'test', exporters: [memory], perStepSpans, batchDelayMs: 1 });
  const rt = new RequestTrace(tracing.tracer, CLIENT, '/v1/chat/completions');
  rt.describe({ model: 'stories260K', operation: 'chat', stream: true, responseId: 'chatcmpl-1', maxTokens: 4, numPromptTokens: 70 });
  rt.routed(0, decision, timings);
  const worker = new EngineSpanRecorder(tracing.tracer, { perStepSpans, workerId: 'w1' });
  worker.begin({ requestId: 'r-0', traceContext: rt.carrier(), arrivalTimeMs: rt.startMs });
  worker.queued('r-0', 3);
  worker.scheduled('r-0', { queueWaitSeconds: 0.001, numPromptTokens: 70, numCachedTokens: 32 });
  worker.allocation(0.00005);
  worker.prefillChunk('r-0', { numTokens: 32, seconds: 0.002 });
  worker.step(step([], 1));
  worker.prefillChunk('r-0', { numTokens: 6, seconds: 0.001 });
  worker.firstToken('r-0');
  worker.tokensEmitted('r-0', 1);
  worker.step(step([], 1));
  rt.firstToken();
  worker.tokensEmitted('r-0', 1);
  worker.step(step(['r-0']));
  worker.preempted('r-0', 'memory_pressure');
  worker.prefillChunk('r-0', { numTokens: 40, seconds: 0.002 });
  worker.step(step([], 1));
  worker.tokensEmitted('r-0', 1);
  worker.step(step(['r-0', 'other']));
  worker.tokensEmitted('r-0', 1);
  worker.finished('r-0', 'length', { numPromptTokens: 70, numCompletionTokens: 3, numCachedTokens: 32 });
  worker.step(step(['r-0']));
  assert.equal(worker.numOpen, 0);
  worker.step(step(['r-0']));
  rt.finish({ status: 'success', numOutputTokens: 3, numCachedTokens: 32, finishReasons: ['length'] });
  await tracing.forceFlush();
  const spans = memory.getFinishedSpans();
  await tracing.shutdown();
  return spans;
}

function tree(spans: ReadableSpan[]): Map<string, string[]> {
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  const children = new Map<string, string[]>();
  for (const s of spans) {
    const parent = s.parentSpanContext?.spanId;
    const key = parent && byId.has(parent) ? byId.get(parent)!.name : `<${parent ?? 'root'}>`;
    children.set(key, [...(children.get(key) ?? []), s.name]);
  }
  return children;
}

const one = (spans: ReadableSpan[], name: string) => {
  const found = spans.filter((s) => s.name === name);
  assert.equal(found.length, 1, `one ${name}`);
  return found[0]!;
};

test('span tree follows seed 000 and the client traceparent is the parent of `request`', async () => {
  const spans = await runRequest(true);
  assert.equal(new Set(spans.map((s) => s.spanContext().traceId)).size, 1);
  assert.equal(spans[0]!.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
  const kids = tree(spans);
  assert.deepEqual(kids.get('<00f067aa0ba902b7>'), ['request']);
  assert.deepEqual([...kids.get('request')!].sort(), ['decode', 'prefill', 'routing', 'scheduling']);
  assert.deepEqual(kids.get('routing'), ['kv_cache_lookup', 'load_balance']);
  assert.deepEqual(kids.get('scheduling'), ['queue_wait', 'budget_allocation']);
  assert.deepEqual(kids.get('prefill'), ['kv_cache_alloc', 'model_forward_prefill', 'model_forward_prefill', 'sampling_prefill']);
  assert.deepEqual(kids.get('decode')!.filter((n) => n === 'decode_step').length, 2 + 1);
  assert.ok(kids.get('decode')!.includes('model_forward_prefill'), 'recompute after preemption shows under decode');
  assert.deepEqual(kids.get('decode_step')!.slice(0, 3), ['model_forward_decode', 'sampling_decode', 'token_emit']);

  const request = one(spans, 'request');
  assert.equal(request.attributes[ATTR.requestModel], 'stories260K');
  assert.equal(typeof request.attributes[ATTR.requestTtftMs], 'number');
  assert.equal(request.attributes[ATTR.requestOutputTokens], 3);
  const routing = one(spans, 'routing');
  assert.equal(routing.attributes[ATTR.routingSelectedWorker], 'w1');
  assert.equal(routing.attributes[ATTR.routingSelectionReason], 'prefix_match_32_tokens');
  const scheduling = one(spans, 'scheduling');
  assert.equal(scheduling.attributes[ATTR.schedulingQueueDepthAtEntry], 3);
  const prefill = one(spans, 'prefill');
  assert.equal(prefill.attributes[ATTR.prefillPromptTokens], 70);
  assert.equal(prefill.attributes[ATTR.prefillCachedTokens], 32);
  assert.equal(prefill.attributes[ATTR.prefillNewTokens], 38);
  const decode = one(spans, 'decode');
  assert.equal(decode.attributes[ATTR.decodeTotalSteps], 3);
  assert.equal(decode.attributes[ATTR.decodePreemptions], 1);
  assert.deepEqual(decode.events.map((e) => e.name), ['preempted']);
  const steps = spans.filter((s) => s.name === 'decode_step');
  assert.deepEqual(steps.map((s) => s.attributes[ATTR.decodeBatchSize]), [1, 2, 1]);
  for (const s of spans) assert.ok(s.endTime[0] * 1e9 + s.endTime[1] >= s.startTime[0] * 1e9 + s.startTime[1], `${s.name} ends after it starts`);
});

test('per-step spans switched off: no decode_step spans, decode keeps TBT aggregates', async () => {
  const spans = await runRequest(false);
  assert.equal(spans.filter((s) => s.name === 'decode_step').length, 0);
  const decode = one(spans, 'decode');
  assert.equal(decode.attributes[ATTR.decodeTotalSteps], 3);
  assert.ok((decode.attributes[ATTR.decodeAvgTbtMs] as number) > 0);
  assert.equal(spans.filter((s) => s.name === 'model_forward_prefill').length, 2);
});

test('a request failing while queued ends in an error scheduling span; the trace is kept at ratio 0', async () => {
  const memory = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName: 'test', exporters: [memory], sampleRatio: 0, batchDelayMs: 1 });
  const worker = new EngineSpanRecorder(tracing.tracer, { perStepSpans: false, workerId: 'w1' });
  worker.begin({ requestId: 'r', traceContext: { traceparent: '00-5bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00' }, arrivalTimeMs: Date.now() });
  worker.queued('r', 1);
  worker.failed('r', { code: 'internal', message: 'runner crashed' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(worker.numOpen, 0);
  await tracing.forceFlush();
  const spans = memory.getFinishedSpans();
  assert.deepEqual(spans.map((s) => s.name), ['scheduling']);
  assert.equal(spans[0]!.status.code, 2);
  assert.equal(spans[0]!.attributes[ATTR.errorType], 'internal');
  await tracing.shutdown();
});
