// MockRunner: deterministic tokens, the timing model and speed-up, and the KV check that catches a
// wrong block table (what makes it a useful test double for the scheduler and allocator).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samplingParams, type StepSequence } from '@mini-dynamo/protocol';
import { MockRunner, mockNextToken, H100_8B_TIMING } from './mock-runner.js';

const sampling = samplingParams({ seed: 7 });

function row(seqId: number, tokenIds: number[], startPosition: number, blockTable: number[], outputTokenIds: number[] = []): StepSequence {
  return { seqId, tokenIds, startPosition, blockTable, sampling, outputTokenIds, numPromptTokens: startPosition + tokenIds.length - outputTokenIds.length };
}

test('tokens are a pure function of (last token, position, seed) and never EOS by default', async () => {
  const runner = new MockRunner({ info: { vocabSize: 50, eosTokenIds: [2] } });
  const a = await runner.step({ sequences: [row(1, [5, 6, 7], 0, [0])], numTokens: 3 });
  const b = await runner.step({ sequences: [row(9, [1, 7], 1, [3]), row(2, [4], 0, [4])], numTokens: 3 });
  assert.equal(a.sampledTokenIds[0], b.sampledTokenIds[0]);
  assert.equal(a.sampledTokenIds[0], mockNextToken(7, 3, 7, runner.info));
  for (let t = 0; t < 500; t++) assert.notEqual(mockNextToken(t, t * 3, 1, runner.info), 2);
});

test('the step time follows the documented model', () => {
  const runner = new MockRunner();
  const t = H100_8B_TIMING;
  const prefill = { sequences: [row(1, new Array(100).fill(3), 0, new Array(7).fill(0))], numTokens: 100 };
  assert.equal(runner.stepMs(prefill), t.prefillBaseMs + 100 * t.prefillPerTokenMs);
  const decodes = { sequences: [row(1, [3], 99, new Array(7).fill(0), [3]), row(2, [3], 49, new Array(4).fill(0), [3])], numTokens: 2 };
  assert.ok(Math.abs(runner.stepMs(decodes) - (t.decodeBaseMs + 2 * t.decodePerSeqMs + 150 * t.decodePerContextTokenMs)) < 1e-9);
  assert.ok(runner.stepMs(decodes) > 8 && runner.stepMs(decodes) < 9, 'an 8B decode step is ~8 ms');
});

test('speedup scales real time; Infinity never sleeps', async () => {
  const slow = new MockRunner({ speedup: 1, timing: { prefillBaseMs: 40, prefillPerTokenMs: 0 } });
  const batch = { sequences: [row(1, [3], 0, [0])], numTokens: 1 };
  let t0 = performance.now();
  await slow.step(batch);
  assert.ok(performance.now() - t0 >= 35);
  const fast = new MockRunner({ timing: { prefillBaseMs: 40 } });
  t0 = performance.now();
  for (let i = 0; i < 50; i++) await fast.step(batch);
  assert.ok(performance.now() - t0 < 35);
  assert.ok(Math.abs(fast.simulatedMs - 50 * (40 + H100_8B_TIMING.prefillPerTokenMs)) < 1e-6);
});

test('checkKv: output depends on what the block table really holds; a short table throws', async () => {
  const runner = new MockRunner({ checkKv: true, info: { numBlocks: 8, blockSize: 2 } });
  await runner.step({ sequences: [row(1, [10, 11, 12, 13], 0, [0, 1, 2]), row(2, [20, 21, 22, 23], 0, [3, 4, 5])], numTokens: 8 });
  const right = await runner.step({ sequences: [row(3, [12, 13, 14], 2, [0, 1, 6])], numTokens: 3 });
  const wrong = await runner.step({ sequences: [row(4, [12, 13, 14], 2, [3, 1, 7])], numTokens: 3 });
  assert.notEqual(right.sampledTokenIds[0], wrong.sampledTokenIds[0], 'a wrong prefix block changes the token');
  await assert.rejects(runner.step({ sequences: [row(5, [1, 2, 3], 0, [0])], numTokens: 3 }), /block table/);
});

test('drafts: accepted while each equals the plain decode pick; the sampled token is the first that differs', async () => {
  for (const options of [{}, { checkKv: true }, { copy: { distance: 3, probability: 0.5 } }]) {
    const plain = new MockRunner({ ...options, info: { numBlocks: 8, blockSize: 4, vocabSize: 50 } });
    const spec = new MockRunner({ ...options, info: { numBlocks: 8, blockSize: 4, vocabSize: 50 } });
    const prompt = [5, 6, 7, 8, 9];
    const first = (await plain.step({ sequences: [row(1, prompt, 0, [0, 1])], numTokens: 5 })).sampledTokenIds[0]!;
    await spec.step({ sequences: [row(1, prompt, 0, [0, 1])], numTokens: 5 });
    const out = [first];
    for (let p = 5; p < 9; p++) out.push((await plain.step({ sequences: [row(1, [out.at(-1)!], p, [0, 1, 2], out.slice())], numTokens: 1 })).sampledTokenIds[0]!);
    // out[0] is the last token, out[1..4] what plain decoding gives next: all 3 drafts right, then the bonus.
    const all = await spec.step({ sequences: [{ ...row(1, out.slice(0, 4), 5, [0, 1, 2], [first]), draftTokenIds: out.slice(1, 4) }], numTokens: 4 });
    assert.deepEqual([all.numAcceptedDrafts, all.sampledTokenIds], [[3], [out[4]]], JSON.stringify(options));
    const wrong = (out[2]! + 1) % 50 === 2 ? 3 : (out[2]! + 1) % 50;
    const some = await spec.step({ sequences: [{ ...row(1, [out[0]!, out[1]!, wrong, out[3]!], 5, [0, 1, 2], [first]), draftTokenIds: [out[1]!, wrong, out[3]!] }], numTokens: 4 });
    assert.deepEqual([some.numAcceptedDrafts, some.sampledTokenIds], [[1], [out[2]]], JSON.stringify(options));
  }
});

test('drafts: penalties see the accepted drafts as generated tokens; a step charges drafts as prefill tokens', async () => {
  const runner = new MockRunner({ info: { vocabSize: 50 } });
  const penalized = samplingParams({ frequencyPenalty: 2 });
  const plainPick = async (out: number[]) =>
    (await runner.step({ sequences: [{ ...row(1, [out.at(-1)!], 10 + out.length, [0, 1, 2, 3]), outputTokenIds: out, sampling: penalized }], numTokens: 1 })).sampledTokenIds[0]!;
  const out = [7];
  for (let i = 0; i < 3; i++) out.push(await plainPick(out.slice()));
  const verified = await runner.step({ sequences: [{ ...row(1, out.slice(0, 3), 11, [0, 1, 2, 3]), outputTokenIds: [7], sampling: penalized, draftTokenIds: out.slice(1, 3) }], numTokens: 3 });
  assert.deepEqual([verified.numAcceptedDrafts, verified.sampledTokenIds], [[2], [out[3]]]);
  const t = H100_8B_TIMING;
  const decode = { ...row(1, [3, 4, 5], 99, new Array(7).fill(0), [3]), draftTokenIds: [4, 5] };
  assert.ok(Math.abs(runner.stepMs({ sequences: [decode], numTokens: 3 }) - (t.decodeBaseMs + 2 * t.prefillPerTokenMs + t.decodePerSeqMs + 100 * t.decodePerContextTokenMs)) < 1e-9);
});

test('drafts: a penalty that moves the pick counts the accepted drafts as output (a copy-the-last-token model)', async () => {
  // The mode is always the last token; frequencyPenalty 2 pushes a pick off it only when that token is in the output.
  const runner = new MockRunner({ copy: { distance: 1, probability: 1 }, info: { vocabSize: 50, numBlocks: 8, blockSize: 4 } });
  const penalized = samplingParams({ frequencyPenalty: 2 });
  const plainPick = async (out: number[]) =>
    (await runner.step({ sequences: [{ ...row(1, [out.at(-1)!], 10 + out.length, [0, 1, 2, 3]), outputTokenIds: out, sampling: penalized }], numTokens: 1 })).sampledTokenIds[0]!;
  const out = [7];
  for (let i = 0; i < 3; i++) out.push(await plainPick(out.slice()));
  for (let i = 1; i < out.length; i++) assert.notEqual(out[i], out[i - 1], 'the penalty moved every plain pick off the copied token');
  const verified = await runner.step({ sequences: [{ ...row(1, out.slice(0, 3), 11, [0, 1, 2, 3]), outputTokenIds: [7], sampling: penalized, draftTokenIds: out.slice(1, 3) }], numTokens: 3 });
  assert.deepEqual([verified.numAcceptedDrafts, verified.sampledTokenIds], [[2], [out[3]]]);
});
