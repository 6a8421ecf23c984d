// Logprobs through the engine: a request that asks gets one TokenLogprobs per streamed token (the runner's,
// at the right batch position, also across chunked prefill and batching); one that does not gets none;
// a runner that drops them (logprobs or prompt logprobs) fails the request, releasing its blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Engine } from './engine.js';
import { mockLogit, mockLogprobs } from './mock-logprobs.js';
import { collect, drain, makeRequest, RecordingRunner, tokens } from './request-fixtures.js';

const info = { numBlocks: 64, maxModelLen: 512, vocabSize: 4096 };

test('tokens events carry the runner\'s logprobs, aligned with tokenIds, only for requests that asked', async () => {
  const runner = new RecordingRunner({ info });
  const engine = new Engine(runner, { workerId: 'w1', maxNumSeqs: 4, maxNumBatchedTokens: 8 });
  const out = collect(engine);
  engine.add(makeRequest('lp', tokens(20), { maxTokens: 6, numLogprobs: 3, seed: 5 }));
  engine.add(makeRequest('plain', tokens(5, 40), { maxTokens: 6 }));
  engine.add(makeRequest('zero', tokens(3, 70), { maxTokens: 6, numLogprobs: 0 }));
  await drain(engine);
  for (const id of ['lp', 'plain', 'zero']) {
    const events = out.events.filter((e) => e.kind === 'tokens' && e.requestId === id);
    assert.equal(events.length, 6);
    for (const e of events) {
      if (e.kind !== 'tokens') continue;
      if (id === 'plain') { assert.equal(e.logprobs, undefined); continue; }
      assert.equal(e.logprobs!.length, e.tokenIds.length);
      assert.deepEqual(e.logprobs![0], mockLogprobs(e.tokenIds[0]!, id === 'lp' ? 3 : 0, info.vocabSize));
    }
  }
});

test('the mock\'s logprobs are the exact log-softmax of its logits; the picked token is the mode', () => {
  const vocabSize = 50;
  for (const picked of [0, 7, 47, 49]) {
    const logits = Array.from({ length: vocabSize }, (_, id) => mockLogit(picked, id, vocabSize));
    const lse = Math.log(logits.reduce((s, x) => s + Math.exp(x), 0));
    const order = logits.map((_, id) => id).sort((a, b) => logits[b]! - logits[a]! || a - b);
    const got = mockLogprobs(picked, 20, vocabSize);
    assert.equal(order[0], picked);
    assert.ok(Math.abs(got.logprob - (logits[picked]! - lse)) < 1e-12);
    assert.deepEqual(got.topTokenIds, order.slice(0, 20));
    got.topTokenIds.forEach((id, k) => assert.ok(Math.abs(got.topLogprobs[k]! - (logits[id]! - lse)) < 1e-12));
  }
  assert.deepEqual(mockLogprobs(3, 0, vocabSize).topTokenIds, []);
  assert.equal(mockLogprobs(1, 5, 2).topTokenIds.length, 2, 'a vocabulary smaller than N');
});

for (const [asked, message] of [[{ numLogprobs: 1 }, /no logprobs/], [{ numPromptLogprobs: 1 }, /no prompt logprobs/]] as const) {
  test(`a runner that drops what ${Object.keys(asked)[0]} asks for fails the request; blocks are released`, async () => {
    const runner = new RecordingRunner({ info });
    runner.dropLogprobs = true;
    const engine = new Engine(runner, { workerId: 'w1' });
    const out = collect(engine);
    engine.add(makeRequest('lp', tokens(10), { maxTokens: 4, ...asked }));
    await drain(engine);
    const end = out.endOf('lp');
    assert.equal(end?.kind, 'failed');
    assert.match(end.kind === 'failed' ? end.error.message : '', message);
    assert.equal(engine.load().numActiveBlocks, 0);
  });
}
