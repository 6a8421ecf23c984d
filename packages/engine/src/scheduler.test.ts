// Scheduler behaviour through the Engine and a batch-recording MockRunner: token budget, decodes
// never starve, chunked prefill, prefix-cache skipping, preemption with identical resumption.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from './engine.js';
import type { EngineObserver } from './engine-observer.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';

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

test('under block pressure sequences are preempted newest-first and resume with identical tokens', async () => {
  const requests = Array.from({ length: 12 }, (_, i) => makeRequest(`p${i}`, tokens(20 + i * 3, i * 37), { maxTokens: 60, temperature: 1, seed: 1000 + i }));
  const reference = engineWith({ numBlocks: 1024 });
  for (const r of requests) reference.engine.add(r);
  await drain(reference.engine);

  const preempted: string[] = [];
  const small = engineWith({ numBlocks: 24 }, {}, { onPreempted: (id, reason) => { assert.equal(reason, 'kv_cache_full'); preempted.push(id); } });
  for (const r of requests) small.engine.add(r);
  await drain(small.engine);
  assert.ok(preempted.length >= 3, `preempted ${preempted.length} times`);
  assert.ok(!preempted.includes('p0'), 'the oldest request is never the victim');
  for (const r of requests) {
    assert.equal(small.out.finishReason(r.requestId), 'length');
    assert.deepEqual(small.out.tokensOf(r.requestId), reference.out.tokensOf(r.requestId), `${r.requestId} differs after preemption`);
  }
  assert.equal(small.engine.load().numActiveBlocks, 0);
});

test('a single sequence may grow to the whole pool; beyond it finishes with length', async () => {
  const { engine, out } = engineWith({ numBlocks: 4, blockSize: 16 });
  assert.equal(engine.maxSeqLen, 64);
  engine.add(makeRequest('big', tokens(60), { maxTokens: 100 }));
  await drain(engine);
  assert.equal(out.finishReason('big'), 'length');
  assert.equal(out.tokensOf('big').length, 4);
});
