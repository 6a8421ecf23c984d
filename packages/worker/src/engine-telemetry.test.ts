import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine, MockRunner } from '@mini-dynamo/engine';
import { samplingParams, type EngineEvent, type GenerateRequest } from '@mini-dynamo/protocol';
import { createTracing, InMemorySpanExporter, promtoolCheckMetrics, findPromtool } from '@mini-dynamo/telemetry';
import { createEngineTelemetry } from './engine-telemetry.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const request = (id: string, prompt: number[], maxTokens: number): GenerateRequest => ({
  requestId: id, promptTokenIds: prompt, sampling: samplingParams({ temperature: 0, maxTokens, ignoreEos: true }), cacheSalt: null,
  traceContext: { traceparent: `00-${TRACE}-b7ad6b7169203331-01` }, arrivalTimeMs: Date.now(),
});

async function run(numBlocks: number, perStepSpans: boolean, maxTokens: number) {
  const memory = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName: 'worker', exporters: [memory], perStepSpans, batchDelayMs: 1 });
  const telemetry = createEngineTelemetry({ model: 'mock', workerId: 'w0', tracing });
  const runner = new MockRunner({ info: { numBlocks, blockSize: 16, maxModelLen: 512 }, speedup: 1000 });
  const real = new Engine(runner, { workerId: 'w0' }, telemetry.observer);
  const engine = telemetry.instrument(real);
  const ended = new Set<string>();
  engine.onEvent((e: EngineEvent) => { if (e.kind !== 'tokens') ended.add(e.requestId); });
  const shared = Array.from({ length: 48 }, (_, i) => 5 + i);
  const ids = ['a', 'b', 'c', 'd'];
  const loop = real.run();
  const until = async (n: number) => {
    const deadline = Date.now() + 10_000;
    while (ended.size < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  };
  // 'a' first so its prompt blocks are cached when b, c, d (same 48-token prefix) arrive.
  for (const [i, id] of ids.entries()) {
    assert.ok(engine.add(request(id, [...shared, 100 + i, 200 + i], maxTokens)).ok);
    if (i === 0) await until(1);
  }
  await until(ids.length);
  assert.equal(ended.size, ids.length);
  await engine.stop();
  await loop;
  await new Promise((r) => setImmediate(r));
  await tracing.forceFlush();
  return { text: await telemetry.metricsText(), spans: memory.getFinishedSpans(), tracing };
}

test('engine observer feeds the worker metrics (prefix hits, finishes, tokens, KV gauges)', async () => {
  const { text, tracing } = await run(64, false, 12);
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
  assert.match(text, /dynamo_scheduler_sequences_finished_total\{finish_reason="length",model="mock",worker_id="w0"\} 4/);
  assert.ok(value('dynamo_prefix_cache_hit_tokens_total') >= 3 * 48, 'later requests hit the shared 48-token prefix');
  assert.ok(value('dynamo_prefix_cache_query_tokens_total') >= 4 * 50);
  assert.equal(value('dynamo_kv_cache_total_blocks'), 64);
  assert.ok(value('dynamo_decode_tokens_total') > 0 && value('dynamo_prefill_tokens_total') > 0);
  assert.match(text, /dynamo_scheduler_queue_wait_seconds_count\{model="mock",worker_id="w0"\} 4/);
  assert.match(text, /dynamo_tokens_per_second\{phase="decode",model="mock",worker_id="w0"\} [1-9]/);
  if (findPromtool()) {
    const r = promtoolCheckMetrics(text);
    assert.ok(r.available);
    assert.deepEqual(r.unexpected, [], r.output);
  }
  await tracing.shutdown();
});

test('worker spans join the request trace; per-step spans on; preemption shows as an event', async () => {
  const { text, spans, tracing } = await run(8, true, 40);
  assert.ok(spans.length > 0);
  for (const s of spans) assert.equal(s.spanContext().traceId, TRACE);
  const names = (n: string) => spans.filter((s) => s.name === n);
  for (const n of ['scheduling', 'prefill', 'decode']) {
    assert.equal(names(n).length, 4, n);
    for (const s of names(n)) assert.equal(s.parentSpanContext?.spanId, 'b7ad6b7169203331', `${n} parent is the gateway span`);
  }
  assert.ok(names('decode_step').length >= 4 * 39, 'one decode_step per step per request');
  const preempted = Number(/dynamo_scheduler_preemptions_total\{reason="memory_pressure"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0);
  const events = spans.flatMap((s) => s.events.filter((e) => e.name === 'preempted'));
  assert.equal(events.length, preempted, 'each preemption is one span event');
  assert.ok(preempted > 0, '8 blocks for three 6-block requests force preemption');
  await tracing.shutdown();
});

test('aborting the last requests leaves no stale occupancy gauges (idle engine takes no step)', async () => {
  const telemetry = createEngineTelemetry({ model: 'mock', workerId: 'w0' });
  const runner = new MockRunner({ info: { numBlocks: 64, blockSize: 16, maxModelLen: 512 }, speedup: 1 });
  const real = new Engine(runner, { workerId: 'w0' }, telemetry.observer);
  const engine = telemetry.instrument(real);
  const value = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
  let numTokenEvents = 0;
  engine.onEvent((e: EngineEvent) => { if (e.kind === 'tokens') numTokenEvents++; });
  const loop = real.run();
  for (const id of ['a', 'b']) assert.ok(engine.add({ ...request(id, Array.from({ length: 40 }, (_, i) => 5 + i), 400), traceContext: {} }).ok);
  while (numTokenEvents < 4) await new Promise((r) => setTimeout(r, 2));
  const during = await telemetry.metricsText();
  assert.equal(value(during, 'dynamo_scheduler_running_batch_size'), 2);
  assert.ok(value(during, 'dynamo_kv_cache_used_blocks') >= 6);
  await engine.stop(); // no step after the aborts, as when the loop goes idle
  await loop;
  engine.abort('a');
  engine.abort('b');
  const after = await telemetry.metricsText();
  assert.equal(value(after, 'dynamo_scheduler_running_batch_size'), 0);
  assert.equal(value(after, 'dynamo_kv_cache_used_blocks'), 0);
  assert.equal(value(after, 'dynamo_kv_cache_utilization_ratio'), 0);
  assert.equal(value(after, 'dynamo_scheduler_waiting_queue_size'), 0);
});

test('onSpeculation feeds drafts/accepted/rejected counters and a windowed acceptance gauge that holds while idle', async () => {
  const telemetry = createEngineTelemetry({ model: 'mock', workerId: 'w0', throughputWindowSeconds: 0.05 });
  const value = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1]);
  const before = await telemetry.metricsText(); // speculation off (or not yet verified): no series at all
  assert.doesNotMatch(before, /^dynamo_speculative_\w+\{/m);
  telemetry.observer.onSpeculation!(4, 3, 2); // two rows verified 2 drafts each
  telemetry.observer.onSpeculation!(4, 1, 1);
  const busy = await telemetry.metricsText();
  assert.match(busy, /^dynamo_speculative_tokens_accepted_total\{model="mock",worker_id="w0"\} 4$/m);
  assert.match(busy, /^dynamo_speculative_tokens_rejected_total\{model="mock",worker_id="w0"\} 4$/m);
  assert.match(busy, /^dynamo_speculative_drafts_total\{model="mock",worker_id="w0"\} 3$/m);
  assert.equal(value(busy, 'dynamo_speculative_tokens_accepted_total') / value(busy, 'dynamo_speculative_drafts_total'), 4 / 3, 'accepted per draft row');
  assert.equal(value(busy, 'dynamo_speculative_acceptance_rate'), 0.5);
  await new Promise((r) => setTimeout(r, 80)); // past the window: no verified step, the gauge holds
  assert.equal(value(await telemetry.metricsText(), 'dynamo_speculative_acceptance_rate'), 0.5);
  telemetry.observer.onSpeculation!(2, 2, 2); // the old steps left the window
  const later = await telemetry.metricsText();
  assert.equal(value(later, 'dynamo_speculative_acceptance_rate'), 1);
  assert.equal(value(later, 'dynamo_speculative_tokens_accepted_total'), 6);
  assert.equal(value(later, 'dynamo_speculative_drafts_total'), 5);
  if (findPromtool()) {
    const r = promtoolCheckMetrics(later);
    assert.ok(r.available);
    assert.deepEqual(r.unexpected, [], r.output);
  }
});
