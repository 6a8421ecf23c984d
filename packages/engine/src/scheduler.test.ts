// Scheduler behaviour through the Engine and a batch-recording MockRunner: token budget, decodes
// never starve, chunked prefill, prefix-cache skipping, preemption with identical resumption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockAllocator } from './block-allocator.js';
import { Engine } from './engine.js';
import type { EngineObserver } from './engine-observer.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';
import { Scheduler } from './scheduler.js';
import { Sequence } from './sequence.js';

function engineWith(runnerInfo: { numBlocks?: number; blockSize?: number } = {}, config: Record<string, unknown> = {}, observer: EngineObserver = {}) {
  const runner = new RecordingRunner({ info: { numBlocks: 512, blockSize: 16, ...runnerInfo } });
  const engine = new Engine(runner, { workerId: 'w', ...config }, observer);
  return { runner, engine, out: collect(engine) };
}

test('the token budget and max_num_seqs are never exceeded', async () => {
  const { runner, engine } = engineWith({}, { maxNumBatchedTokens: 64, maxNumSeqs: 8 });
  for (let i = 0; i < 20; i++) assert.ok(engine.add(makeRequest(`r${i}`, tokens(5 + i * 13, i * 50), { maxTokens: 3 + (i % 7) })).ok);
  await drain(engine);
  assert.ok(runner.batches.length > 10);
  for (const b of runner.batches) {
    assert.ok(b.numTokens <= 64, `batch of ${b.numTokens} tokens`);
    assert.ok(b.sequences.length <= 8);
    assert.equal(b.numTokens, b.sequences.reduce((n, s) => n + s.tokenIds.length, 0));
  }
  assert.ok(runner.batches.some((b) => b.numTokens === 64), 'budget gets filled');
});

test('a long prompt is chunked over several steps while running decodes go on every step', async () => {
  const { runner, engine, out } = engineWith({}, { maxNumBatchedTokens: 256, maxNumSeqs: 16 });
  for (let i = 0; i < 4; i++) engine.add(makeRequest(`d${i}`, tokens(8, i * 100), { maxTokens: 40 }));
  await engine.step(); // the four prompts prefill together
  const longPrompt = tokens(2000, 7);
  engine.add(makeRequest('long', longPrompt, { maxTokens: 2 }));
  const from = runner.batches.length;
  await drain(engine);
  const chunks = runner.batches.slice(from).map((b) => b.sequences.find((s) => s.seqId === 5)).filter((s) => s !== undefined);
  assert.ok(chunks.length >= 8, `prefill split over ${chunks.length} steps`);
  let position = 0;
  for (const c of chunks.slice(0, -1)) {
    assert.equal(c.startPosition, position, 'chunks are contiguous');
    position += c.tokenIds.length;
  }
  assert.equal(position, longPrompt.length, 'whole prompt computed in chunks, then one decode');
  for (const b of runner.batches.slice(from, from + 7)) {
    assert.equal(b.sequences.filter((s) => s.tokenIds.length === 1).length, 4, 'every running decode is in every step');
    assert.equal(b.numTokens, 256, 'prefill fills the rest of the budget');
  }
  for (let i = 0; i < 4; i++) assert.equal(out.tokensOf(`d${i}`).length, 40);
});

test('a second request sharing a 1,000-token prefix computes only the unshared tokens', async () => {
  const { runner, engine, out } = engineWith({}, { maxNumBatchedTokens: 4096 });
  const shared = tokens(1000, 1);
  engine.add(makeRequest('a', [...shared, ...tokens(10, 2001)], { maxTokens: 4 }));
  await drain(engine);
  const from = runner.batches.length;
  engine.add(makeRequest('b', [...shared, ...tokens(24, 3002)], { maxTokens: 4 }));
  await drain(engine);
  const reusable = Math.floor(1000 / 16) * 16; // 992: full blocks only; the partial 63rd block is recomputed
  assert.equal(out.usage('b')?.numCachedTokens, reusable);
  assert.equal(out.usage('a')?.numCachedTokens, 0);
  const prefill = runner.batches[from]!;
  assert.equal(prefill.numTokens, 1024 - reusable, 'only the unshared tail is computed');
  assert.equal(prefill.sequences[0]!.startPosition, reusable);
});

test('concurrent requests share cached prefix blocks (ref counts) and output matches a cold run', async () => {
  const shared = tokens(300, 3);
  const run = async (prefix: boolean) => {
    const { engine, out } = engineWith({}, { enablePrefixCaching: prefix });
    engine.add(makeRequest('warm', [...shared, 1], { maxTokens: 2 }));
    await engine.step();
    for (let i = 0; i < 3; i++) engine.add(makeRequest(`c${i}`, [...shared, ...tokens(5, i * 11)], { maxTokens: 6, seed: i }));
    await drain(engine);
    return [0, 1, 2].map((i) => ({ tokens: out.tokensOf(`c${i}`), cached: out.usage(`c${i}`)!.numCachedTokens }));
  };
  const [withCache, cold] = [await run(true), await run(false)];
  assert.deepEqual(withCache.map((r) => r.tokens), cold.map((r) => r.tokens), 'prefix hits give the same tokens');
  assert.deepEqual(withCache.map((r) => r.cached), [288, 288, 288]);
  assert.deepEqual(cold.map((r) => r.cached), [0, 0, 0]);
});

for (const [label, config] of [['whole prompts', {}], ['chunked prefills beside decodes', { maxNumBatchedTokens: 24, maxNumSeqs: 8 }]] as const) {
  test(`under block pressure (${label}) sequences are preempted newest-first and resume with identical tokens`, async () => {
    const requests = Array.from({ length: 12 }, (_, i) => makeRequest(`p${i}`, tokens(20 + i * 3, i * 37), { maxTokens: 60, temperature: 1, seed: 1000 + i }));
    const reference = engineWith({ numBlocks: 1024 });
    for (const r of requests) reference.engine.add(r);
    await drain(reference.engine);

    const preempted: string[] = [];
    const scheduled: string[] = [];
    const small = engineWith({ numBlocks: 24 }, config, {
      onPreempted: (id, reason) => { assert.equal(reason, 'kv_cache_full'); preempted.push(id); },
      onRequestScheduled: (id) => void scheduled.push(id),
    });
    for (const r of requests) small.engine.add(r);
    await drain(small.engine);
    assert.ok(preempted.length >= 3, `preempted ${preempted.length} times`);
    assert.ok(!preempted.includes('p0'), 'the oldest request is never the victim');
    for (const r of requests) {
      assert.equal(small.out.finishReason(r.requestId), 'length');
      assert.deepEqual(small.out.tokensOf(r.requestId), reference.out.tokensOf(r.requestId), `${r.requestId} differs after preemption`);
      assert.deepEqual(small.out.usage(r.requestId), reference.out.usage(r.requestId), 'usage counts the first schedule only');
    }
    assert.deepEqual(scheduled, requests.map((r) => r.requestId), 'scheduled once each, in order');
    assert.equal(small.engine.load().numActiveBlocks, 0);
  });
}

test('a prompt cached in full still computes its last block and samples the same tokens', async () => {
  const { runner, engine, out } = engineWith();
  const prompt = tokens(48, 21);
  engine.add(makeRequest('first', prompt, { maxTokens: 5 }));
  await drain(engine);
  const from = runner.batches.length;
  engine.add(makeRequest('again', prompt, { maxTokens: 5 }));
  await drain(engine);
  assert.equal(out.usage('again')!.numCachedTokens, 32);
  assert.deepEqual(runner.batches[from]!.sequences[0]!.tokenIds, prompt.slice(32));
  assert.deepEqual(out.tokensOf('again'), out.tokensOf('first'));
});

test('a single sequence may grow to the whole pool; beyond it finishes with length', async () => {
  const { engine, out } = engineWith({ numBlocks: 4, blockSize: 16 });
  assert.equal(engine.maxSeqLen, 64);
  engine.add(makeRequest('big', tokens(60), { maxTokens: 100 }));
  await drain(engine);
  assert.equal(out.finishReason('big'), 'length');
  assert.equal(out.tokensOf('big').length, 4);
});

test('a preempted sequence goes back to the front of the waiting queue, ahead of later arrivals', () => {
  const allocator = new BlockAllocator({ workerId: 'w', numBlocks: 4, blockSize: 4, enablePrefixCaching: true });
  const scheduler = new Scheduler(allocator, { maxNumSeqs: 4, maxNumBatchedTokens: 16, maxSeqLen: 16, eosTokenIds: [] });
  const [a, b, c] = [tokens(4, 1), tokens(4, 2), tokens(8, 3)].map((p, i) => new Sequence(i + 1, makeRequest(`s${i}`, p, { maxTokens: 20 }), 4));
  const step = () => { const out = scheduler.schedule(); scheduler.complete(out, out.entries.map(() => 9)); return out; };
  scheduler.add(a!);
  scheduler.add(b!);
  step();
  scheduler.add(c!);
  for (let i = 0; i < 8 && b!.numPreemptions === 0; i++) step();
  assert.equal(b!.numPreemptions, 1, 'b (newest running) was preempted for a');
  assert.equal(a!.numPreemptions, 0);
  assert.ok(scheduler.waiting[0] === b || scheduler.running.includes(b!), 'b resumes before c');
  assert.equal(scheduler.running.includes(c!), false);
  assert.ok(allocator.audit([...scheduler.sequences()].map((s) => s.blockTable)).ok);
});
