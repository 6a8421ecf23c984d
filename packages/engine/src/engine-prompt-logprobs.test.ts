// Prompt logprobs through the engine: one list per request (prompt-aligned, [0] null) on its first tokens
// event, equal to the mock's distribution at every prompt position whether the prompt is computed whole,
// in chunks, after a preemption (no duplicates) or after a prefix-cache hit would have been possible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent, TokenLogprobs } from '@mini-dynamo/protocol';
import { Engine } from './engine.js';
import type { EngineObserver } from './engine-observer.js';
import { mockLogprobs } from './mock-logprobs.js';
import { MOCK_RUNNER_INFO, mockNextToken, MockRunner } from './mock-runner.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';

const info = { numBlocks: 64, maxModelLen: 512, vocabSize: 4096, blockSize: 4 };
const fullInfo = { ...MOCK_RUNNER_INFO, ...info };

/** What the mock must report for `prompt` with numTop alternatives. */
function expected(prompt: number[], numTop: number): (TokenLogprobs | null)[] {
  return prompt.map((id, i) => (i === 0 ? null
    : mockLogprobs(mockNextToken(prompt[i - 1]!, i, 0, fullInfo), numTop, info.vocabSize, id)));
}

type TokensEvent = Extract<EngineEvent, { kind: 'tokens' }>;
const tokenEvents = (events: EngineEvent[], id: string) => events.filter((e): e is TokensEvent => e.kind === 'tokens' && e.requestId === id);

async function run(config: Record<string, unknown>, requests: ReturnType<typeof makeRequest>[], runnerInfo = info, observer: EngineObserver = {}) {
  const runner = new RecordingRunner({ info: runnerInfo });
  const engine = new Engine(runner, { workerId: 'w1', ...config }, observer);
  const out = collect(engine);
  for (const r of requests) engine.add(r);
  await drain(engine);
  assert.equal(engine.load().numActiveBlocks, 0);
  return { runner, engine, out };
}

test('prompt logprobs: whole or chunked prefill, the same list, once, on the first tokens event', async () => {
  const prompt = tokens(21);
  const whole = await run({}, [makeRequest('a', prompt, { maxTokens: 4, numPromptLogprobs: 2 })]);
  const chunked = await run({ maxNumBatchedTokens: 8, maxNumSeqs: 2 }, [
    makeRequest('a', prompt, { maxTokens: 4, numPromptLogprobs: 2 }),
    makeRequest('plain', tokens(9, 50), { maxTokens: 4 }),
  ]);
  for (const { out } of [whole, chunked]) {
    const events = tokenEvents(out.events, 'a');
    assert.equal(events.length, 4);
    assert.deepEqual(events[0]!.promptLogprobs, expected(prompt, 2));
    assert.ok(events.slice(1).every((e) => e.promptLogprobs === undefined), 'sent once');
    assert.equal(events[0]!.logprobs, undefined, 'generated-token logprobs only when asked');
    assert.ok(tokenEvents(out.events, 'plain').every((e) => e.promptLogprobs === undefined));
  }
  // The chunks asked for exactly the next positions' tokens, crossing chunk boundaries.
  const asked = chunked.runner.batches.flatMap((b) => b.sequences.filter((s) => s.promptLogprobs !== undefined));
  assert.ok(asked.length >= 3, `${asked.length} chunks`);
  for (const s of asked) assert.deepEqual(s.promptLogprobs!.targetTokenIds, prompt.slice(s.startPosition + 1, s.startPosition + 1 + s.promptLogprobs!.targetTokenIds.length));
  assert.deepEqual(asked.flatMap((s) => s.promptLogprobs!.targetTokenIds), prompt.slice(1));
  assert.ok(chunked.runner.batches.every((b) => b.sequences.every((s) => s.promptLogprobs === undefined || s.outputTokenIds.length === 0)));
});

test('a one-token prompt gets [null]; generated-token logprobs come alongside when asked', async () => {
  const { out } = await run({}, [makeRequest('one', [7], { maxTokens: 2, numPromptLogprobs: 0, numLogprobs: 1 })]);
  const [first] = tokenEvents(out.events, 'one');
  assert.deepEqual(first!.promptLogprobs, [null]);
  assert.equal(first!.logprobs!.length, 1);
});

test('a prefix-cache hit is not taken (every position is computed) but blocks are still stored for others', async () => {
  const prompt = tokens(18, 300);
  const { out } = await run({}, [makeRequest('warm', prompt, { maxTokens: 1 })]);
  assert.equal(out.usage('warm')!.numCachedTokens, 0);
  const runner = new RecordingRunner({ info });
  const engine = new Engine(runner, { workerId: 'w1' });
  const got = collect(engine);
  for (const id of ['warm', 'echo', 'echo2', 'after']) {
    engine.add(makeRequest(id, prompt, { maxTokens: 1, ...(id.startsWith('echo') ? { numPromptLogprobs: 1 } : {}) }));
    await drain(engine);
  }
  assert.equal(got.usage('echo')!.numCachedTokens, 0);
  assert.deepEqual(tokenEvents(got.events, 'echo')[0]!.promptLogprobs, expected(prompt, 1));
  assert.deepEqual(tokenEvents(got.events, 'echo2')[0]!.promptLogprobs, expected(prompt, 1));
  assert.equal(got.usage('after')!.numCachedTokens, 16, 'a later plain request still hits');
  assert.equal(engine.load().numActiveBlocks, 0);
});

test('a first token that is a stop token still delivers the prompt logprobs (a tokens event without tokens)', async () => {
  const prompt = tokens(6, 900);
  const stop = mockNextToken(prompt.at(-1)!, prompt.length, 0, fullInfo);
  const engine = new Engine(new MockRunner({ info }), { workerId: 'w1' });
  const out = collect(engine);
  engine.add(makeRequest('s', prompt, { maxTokens: 5, stopTokenIds: [stop], numPromptLogprobs: 0, numLogprobs: 0 }));
  await drain(engine);
  const events = tokenEvents(out.events, 's');
  assert.equal(events.length, 1);
  assert.deepEqual(events[0]!.tokenIds, []);
  assert.deepEqual(events[0]!.logprobs, []);
  assert.deepEqual(events[0]!.promptLogprobs, expected(prompt, 0));
  assert.equal(out.finishReason('s'), 'stop');
});

test('under preemption (chunked prefills, recompute) each request reports its prompt logprobs exactly once, unchanged', async () => {
  const requests = Array.from({ length: 10 }, (_, i) => makeRequest(`p${i}`, tokens(20 + i * 3, i * 37), {
    maxTokens: 30, temperature: 1, seed: 1000 + i, numPromptLogprobs: i % 3, numLogprobs: i % 2 === 0 ? 1 : null,
  }));
  let numPreemptions = 0;
  const small = await run({ maxNumBatchedTokens: 24, maxNumSeqs: 8 }, requests, { ...info, numBlocks: 40 }, { onPreempted: () => void numPreemptions++ });
  const reference = await run({}, requests, { ...info, numBlocks: 1024 });
  assert.ok(numPreemptions >= 3, `preempted ${numPreemptions} times`);
  const recomputed = small.runner.batches.flatMap((b) => b.sequences.filter((s) => s.promptLogprobs !== undefined && s.outputTokenIds.length > 0));
  assert.equal(recomputed.length, 0, 'a recompute after the prompt logprobs went out does not ask again');
  const numScored = new Map<number, number>(); // by seqId (the engine numbers them from 1 in add order)
  for (const b of small.runner.batches) for (const s of b.sequences) numScored.set(s.seqId, (numScored.get(s.seqId) ?? 0) + (s.promptLogprobs?.targetTokenIds.length ?? 0));
  assert.ok(requests.some((r, i) => (numScored.get(i + 1) ?? 0) > r.promptTokenIds.length - 1), 'some prompt was preempted mid-prefill and scored again');
  requests.forEach((r, i) => {
    const events = tokenEvents(small.out.events, r.requestId);
    assert.equal(events.filter((e) => e.promptLogprobs !== undefined).length, 1, `${r.requestId}: once`);
    assert.deepEqual(events[0]!.promptLogprobs, expected(r.promptTokenIds, i % 3));
    assert.deepEqual(small.out.tokensOf(r.requestId), reference.out.tokensOf(r.requestId));
    assert.deepEqual(events.map((e) => e.logprobs), tokenEvents(reference.out.events, r.requestId).map((e) => e.logprobs));
  });
});

test('maxTokens 0 (prompt only): scored whole or chunked, nothing sampled, finished length with 0 tokens, blocks freed', async () => {
  const prompt = tokens(13);
  for (const config of [{}, { maxNumBatchedTokens: 4, maxNumSeqs: 2 }]) {
    const { runner, out } = await run(config, [makeRequest('p', prompt, { maxTokens: 0, numPromptLogprobs: 1 }), makeRequest('g', tokens(5, 80), { maxTokens: 2 })]);
    const events = out.events.filter((e) => e.requestId === 'p');
    assert.equal(events.length, 2);
    assert.deepEqual(events[0], { kind: 'tokens', requestId: 'p', tokenIds: [], promptLogprobs: expected(prompt, 1) });
    assert.deepEqual(events[1], { kind: 'finished', requestId: 'p', finishReason: 'length', usage: { numPromptTokens: 13, numCompletionTokens: 0, numCachedTokens: 0 } });
    const sampled = runner.batches.flatMap((b) => b.sequences).filter((s) => s.sampling !== null && s.tokenIds.length > 0 && s.numPromptTokens === 13);
    assert.equal(sampled.length, 0, 'no step sampled for the prompt-only request');
    assert.equal(tokenEvents(out.events, 'g').length, 2);
  }
});
