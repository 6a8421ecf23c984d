// Engine API tests: admission errors, finish rules, abort in every state, runner failure, KV events,
// run()/stop() idling, batch invariance and the observer hooks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from './engine.js';
import type { EngineObserver, StepStats } from './engine-observer.js';
import { MockRunner } from './mock-runner.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';

function setup(config: Record<string, unknown> = {}, runner = new RecordingRunner({ info: { numBlocks: 64, maxModelLen: 512 } }), observer: EngineObserver = {}) {
  const engine = new Engine(runner, { workerId: 'w1', ...config }, observer);
  return { runner, engine, out: collect(engine) };
}

test('add rejects bad requests with the right error codes and accepts good ones', () => {
  const { engine } = setup({ maxNumWaiting: 2, maxModelLen: 100 });
  const code = (r: ReturnType<typeof engine.add>) => (r.ok ? 'ok' : r.error.code);
  assert.equal(code(engine.add(makeRequest('e', []))), 'invalid_request');
  assert.equal(code(engine.add(makeRequest('z', [1], { maxTokens: 0 }))), 'invalid_request');
  assert.equal(code(engine.add(makeRequest('v', [1, 99_999]))), 'invalid_request');
  assert.equal(code(engine.add(makeRequest('long', tokens(100)))), 'prompt_too_long');
  assert.equal(code(engine.add(makeRequest('fits', tokens(99)))), 'ok');
  assert.equal(code(engine.add(makeRequest('fits', [1]))), 'invalid_request', 'duplicate id');
  assert.equal(code(engine.add(makeRequest('b', [1]))), 'ok');
  assert.equal(code(engine.add(makeRequest('c', [1]))), 'overloaded');
  const tiny = setup({}, new RecordingRunner({ info: { numBlocks: 2, blockSize: 16 } })).engine;
  assert.equal(code(tiny.add(makeRequest('pool', tokens(32)))), 'prompt_too_long', 'can never fit in the pool');
});

test('a stop token id ends with stop; it is counted but not streamed', async () => {
  const first = setup();
  first.engine.add(makeRequest('a', tokens(10), { maxTokens: 8 }));
  await drain(first.engine);
  const all = first.out.tokensOf('a');
  assert.equal(all.length, 8);
  assert.equal(first.out.finishReason('a'), 'length');
  const { engine, out } = setup();
  engine.add(makeRequest('a', tokens(10), { maxTokens: 8, stopTokenIds: [all[3]!] }));
  await drain(engine);
  assert.deepEqual(out.tokensOf('a'), all.slice(0, 3));
  assert.equal(out.finishReason('a'), 'stop');
  assert.deepEqual(out.usage('a'), { numPromptTokens: 10, numCompletionTokens: 4, numCachedTokens: 0 });
});

test('EOS stops unless ignoreEos; the model length ends with length', async () => {
  const eosRunner = () => new RecordingRunner({ info: { numBlocks: 64, maxModelLen: 40, eosTokenIds: [2] }, eosProbability: 1 });
  const { engine, out } = setup({}, eosRunner());
  engine.add(makeRequest('eos', tokens(5), { maxTokens: 5 }));
  engine.add(makeRequest('ignore', tokens(5, 9), { maxTokens: 5, ignoreEos: true }));
  engine.add(makeRequest('cap', tokens(36, 3), { maxTokens: 100, ignoreEos: true }));
  await drain(engine);
  assert.equal(out.finishReason('eos'), 'stop');
  assert.deepEqual(out.tokensOf('eos'), []);
  assert.equal(out.usage('eos')!.numCompletionTokens, 1);
  assert.deepEqual(out.tokensOf('ignore'), [2, 2, 2, 2, 2]);
  assert.equal(out.finishReason('ignore'), 'length');
  assert.equal(out.tokensOf('cap').length, 4, 'prompt 36 + 4 = maxModelLen 40');
  assert.equal(out.finishReason('cap'), 'length');
});

test('abort in every state frees every block and ends the request once with abort', async () => {
  const { runner, engine, out } = setup({ maxNumBatchedTokens: 64, maxNumSeqs: 4 });
  engine.add(makeRequest('decoding', tokens(20), { maxTokens: 100 }));
  engine.add(makeRequest('prefilling', tokens(200, 5), { maxTokens: 100 }));
  await engine.step();
  await engine.step();
  engine.add(makeRequest('waiting', tokens(30, 9), { maxTokens: 100 }));
  engine.add(makeRequest('inflight', tokens(3, 11), { maxTokens: 100 }));
  assert.ok(engine.load().numActiveBlocks > 0);
  for (const id of ['decoding', 'prefilling', 'waiting']) {
    engine.abort(id);
    assert.ok(engine.audit().ok);
  }
  const stepping = engine.step(); // 'inflight' is in this batch; abort while the runner works
  engine.abort('inflight');
  assert.equal(engine.load().numActiveBlocks, 0, 'blocks freed at once');
  await stepping;
  engine.abort('inflight'); // idempotent
  assert.equal(engine.hasWork(), false);
  const audit = engine.audit();
  assert.ok(audit.ok && audit.numUsedBlocks === 0, JSON.stringify(audit));
  for (const id of ['decoding', 'prefilling', 'waiting', 'inflight']) {
    const ends = out.events.filter((e) => e.requestId === id && e.kind !== 'tokens');
    assert.equal(ends.length, 1);
    assert.equal(out.finishReason(id), 'abort');
    assert.equal(out.events.findLast((e) => e.requestId === id)?.kind, 'finished', 'nothing after the end');
  }
  assert.equal(runner.batches.at(-1)!.sequences[0]!.tokenIds.length, 3);
});

test('a runner failure fails the whole batch, frees its blocks, and the engine goes on', async () => {
  const steps: StepStats[] = [];
  const { runner, engine, out } = setup({}, undefined, { onStep: (s) => void steps.push(s) });
  engine.add(makeRequest('x', tokens(20), { maxTokens: 5 }));
  engine.add(makeRequest('y', tokens(20, 8), { maxTokens: 5 }));
  runner.failNext = true;
  await engine.step();
  for (const id of ['x', 'y']) {
    const end = out.endOf(id);
    assert.equal(end?.kind, 'failed');
    assert.equal(end?.kind === 'failed' && end.error.code, 'internal');
  }
  assert.equal(engine.load().numActiveBlocks, 0);
  assert.deepEqual(steps.map((s) => [s.numPrefillSeqs, s.numRunning, s.numUsedBlocks]), [[2, 0, 0]], 'the failed step is still reported');
  engine.add(makeRequest('z', tokens(20), { maxTokens: 5 }));
  await drain(engine);
  assert.equal(out.finishReason('z'), 'length');
});

test('KV events: stored with parent hash and tokens, removed on eviction, ids rising from 1', async () => {
  const { engine, out } = setup({}, new RecordingRunner({ info: { numBlocks: 8, blockSize: 4 } }));
  engine.add(makeRequest('a', tokens(13), { maxTokens: 1 }));
  await drain(engine);
  const stored = out.kvEvents[0]!;
  assert.equal(stored.data.type, 'stored');
  assert.equal(stored.data.type === 'stored' && stored.data.parentHash, null);
  assert.deepEqual(stored.data.type === 'stored' && stored.data.blocks.map((b) => b.tokenIds), [tokens(12).slice(0, 4), tokens(12).slice(4, 8), tokens(12).slice(8, 12)]);
  engine.add(makeRequest('b', tokens(28, 500), { maxTokens: 1 }));
  await drain(engine);
  assert.ok(out.kvEvents.some((e) => e.data.type === 'removed'));
  assert.deepEqual(out.kvEvents.map((e) => e.eventId), out.kvEvents.map((_, i) => i + 1));
  assert.ok(out.kvEvents.every((e) => e.workerId === 'w1'));
  assert.equal(engine.snapshot().lastEventId, out.kvEvents.length);
});

test('output is batch invariant: alone or together, the same tokens', async () => {
  const requests = [0, 1, 2, 3].map((i) => makeRequest(`q${i}`, tokens(10 + i * 20, i), { maxTokens: 12, temperature: 0.8, seed: i }));
  const together = setup();
  requests.forEach((r) => together.engine.add(r));
  await drain(together.engine);
  for (const r of requests) {
    const alone = setup();
    alone.engine.add(r);
    await drain(alone.engine);
    assert.deepEqual(together.out.tokensOf(r.requestId), alone.out.tokensOf(r.requestId));
  }
});

test('run() idles without work, wakes on add, and stop() ends it', async () => {
  const runner = new MockRunner({ speedup: 1000 });
  const engine = new Engine(runner, { workerId: 'w1' });
  const out = collect(engine);
  const running = engine.run();
  await new Promise((r) => setTimeout(r, 20));
  const stepsIdle = runner.numSteps;
  assert.equal(stepsIdle, 0, 'no steps without work');
  const done = new Promise<void>((resolve) => engine.onEvent((e) => e.kind === 'finished' && resolve()));
  engine.add(makeRequest('r', tokens(10), { maxTokens: 5 }));
  await done;
  assert.equal(out.tokensOf('r').length, 5);
  await engine.stop();
  await running;
  assert.ok(runner.simulatedMs > 0);
});

test('observer hooks report queueing, scheduling, prefill, first token, steps and finishing', async () => {
  const calls: Record<string, unknown[][]> = {};
  const rec = (name: string) => (...args: unknown[]) => void (calls[name] ??= []).push(args);
  const names = ['onRequestQueued', 'onRequestScheduled', 'onPrefillChunk', 'onFirstToken', 'onFinished', 'onAllocation', 'onPrefixCacheQuery', 'onStep'];
  const observer = Object.fromEntries(names.map((n) => [n, rec(n)])) as EngineObserver;
  const { engine } = setup({ maxNumBatchedTokens: 16, maxNumSeqs: 4 }, undefined, observer);
  engine.add(makeRequest('o', tokens(40), { maxTokens: 3 }));
  await drain(engine);
  assert.deepEqual(calls.onRequestQueued, [['o', 1]]);
  assert.equal(calls.onRequestScheduled!.length, 1);
  assert.deepEqual((calls.onRequestScheduled![0]![1] as { numPromptTokens: number }).numPromptTokens, 40);
  assert.deepEqual(calls.onPrefillChunk!.map((c) => (c[1] as { numTokens: number }).numTokens), [16, 16, 8]);
  assert.deepEqual(calls.onFirstToken, [['o']]);
  assert.equal(calls.onFinished![0]![1], 'length');
  assert.deepEqual(calls.onPrefixCacheQuery, [[40, 0]]);
  assert.ok(calls.onAllocation!.length >= 5 && calls.onAllocation!.every((c) => (c[0] as number) >= 0));
  const steps = calls.onStep!.map((c) => c[0] as StepStats);
  assert.equal(steps.length, 5);
  assert.deepEqual(steps.map((s) => [s.numPrefillTokens, s.numDecodeTokens]), [[16, 0], [16, 0], [8, 0], [0, 1], [0, 1]]);
  assert.deepEqual(steps[0]!.prefillRequestIds, ['o']);
  assert.deepEqual(steps[4]!.decodeRequestIds, ['o']);
  assert.equal(steps[4]!.numRunning, 0);
  assert.equal(steps[0]!.numTotalBlocks, 64);
});

test('a listener aborting another request mid-step still ends it exactly once', async () => {
  const { engine, out } = setup();
  engine.add(makeRequest('a', tokens(8), { maxTokens: 5 }));
  engine.add(makeRequest('b', tokens(8, 3), { maxTokens: 5 }));
  engine.onEvent((e) => { if (e.kind === 'tokens' && e.requestId === 'a') engine.abort('b'); });
  await drain(engine);
  assert.deepEqual(out.events.filter((e) => e.requestId === 'b').map((e) => e.kind), ['finished']);
  assert.equal(out.finishReason('b'), 'abort');
  assert.equal(out.tokensOf('a').length, 5);
});

test("a block size other than the runner's is refused at construction (its block ids index the runner's pool)", () => {
  const runner = new MockRunner({ info: { blockSize: 16 } });
  assert.throws(() => new Engine(runner, { workerId: 'w', blockSize: 4 }), /blockSize 4 differs from the runner's 16/);
  assert.equal(new Engine(runner, { workerId: 'w', blockSize: 16 }).config.blockSize, 16);
});
