// logprobs through the gateway with the mock runner and the official openai client: both API shapes,
// n > 1, streamed = non-streamed, stop strings drop the tokens they cut, the OpenAI 400s, no leaked blocks.
// The mock's distribution (engine's mock-logprobs.ts) makes the expected values exact: the picked token is
// the mode, so every token's logprob and its alternatives' are the same known numbers.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { mockLogprobs } from '@mini-dynamo/engine';
import {
  assertNoLeakedBlocks, assertOpenAiError, assertTextOffsets, mergeCompletionChunks, MODEL, mockServerForSuite, rawPost, type CompletionLogprobs,
} from './gateway-support.js';

const VOCAB = 512; // stories260K's, which the mock runner takes from the model folder
const expected = (numTop: number) => mockLogprobs(0, numTop, VOCAB);
const PROMPT = 'Once upon a time';

/** Offsets are the code-point starts of each token in the text; the tokens spell the text. */
function assertCompletionConsistent(text: string, lp: CompletionLogprobs): void {
  assertTextOffsets(text, lp);
  lp.tokens!.forEach((token, i) => assert.equal(lp.top_logprobs![i]![token], lp.token_logprobs![i], 'the sampled token is in its dict'));
}

describe('gateway logprobs (mock runner)', () => {
  const suite = mockServerForSuite();

  test('completions logprobs: 3 with n: 2 — the legacy shape, exact values, one entry per token', async () => {
    const { openai } = suite;
    const body = { model: MODEL, prompt: PROMPT, max_tokens: 8, temperature: 0, n: 2, logprobs: 3 };
    const result = await openai.completions.create(body);
    assert.equal(result.choices.length, 2);
    const top = expected(3);
    for (const choice of result.choices) {
      const lp = choice.logprobs!;
      assert.equal(lp.tokens!.length, 8, 'max_tokens tokens, all reported');
      assert.deepEqual(lp.token_logprobs, new Array(8).fill(top.logprob));
      for (const dict of lp.top_logprobs!) {
        const values = Object.values(dict).sort((a, b) => b - a);
        assert.ok(values.length >= 1 && values.length <= 4, JSON.stringify(dict));
        for (const v of values) assert.ok(top.topLogprobs.includes(v), `${v} is one of the mock's top-3`);
      }
      assertCompletionConsistent(choice.text, lp);
    }
    assert.deepEqual(result.choices[0]!.logprobs, result.choices[1]!.logprobs, 'greedy choices agree');
    const plain = await openai.completions.create({ ...body, logprobs: undefined, n: 1 });
    assert.equal(plain.choices[0]!.logprobs, null);
    const zero = await openai.completions.create({ ...body, logprobs: 0, n: 1 });
    for (const dict of zero.choices[0]!.logprobs!.top_logprobs!) assert.equal(Object.keys(dict).length, 1, 'logprobs: 0 → the sampled token only');
  });

  test('chat logprobs + top_logprobs: content entries with bytes; the sampled token is the top one', async () => {
    const { openai } = suite;
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'Tell a story' }], max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 2 };
    const result = await openai.chat.completions.create(body);
    const choice = result.choices[0]!;
    const content = choice.logprobs!.content!;
    assert.equal(choice.logprobs!.refusal, null, 'the openai types require refusal (null: no refusal tokens)');
    assert.equal(content.length, result.usage!.completion_tokens);
    assert.equal(content.map((t) => t.token).join(''), choice.message.content);
    const top = expected(2);
    for (const t of content) {
      assert.equal(t.logprob, top.logprob);
      assert.deepEqual(t.bytes, [...Buffer.from(t.token, 'utf8')]);
      assert.deepEqual(t.top_logprobs.map((a) => a.logprob), top.topLogprobs);
      assert.equal(t.top_logprobs[0]!.token, t.token, 'the mock picks its mode');
      for (const a of t.top_logprobs) assert.deepEqual(a.bytes, [...Buffer.from(a.token, 'utf8')]);
    }
    const noTop = await openai.chat.completions.create({ ...body, top_logprobs: undefined });
    for (const t of noTop.choices[0]!.logprobs!.content!) assert.deepEqual(t.top_logprobs, []);
    const none = await openai.chat.completions.create({ ...body, logprobs: undefined, top_logprobs: undefined });
    assert.equal(none.choices[0]!.logprobs, null);
  });

  test('streamed logprobs equal the non-streamed ones (chat and completions, n: 2)', async () => {
    const { openai } = suite;
    const completionBody = { model: MODEL, prompt: PROMPT, max_tokens: 10, temperature: 0, n: 2, logprobs: 4 };
    const whole = await openai.completions.create(completionBody);
    const chunks: OpenAI.Completions.Completion[] = [];
    for await (const chunk of await openai.completions.create({ ...completionBody, stream: true })) chunks.push(chunk);
    const merged = mergeCompletionChunks(chunks);
    whole.choices.forEach((c, i) => {
      assert.equal(merged[i]!.text, c.text);
      assert.deepEqual(merged[i]!.logprobs, c.logprobs);
    });

    const chatBody = { model: MODEL, messages: [{ role: 'user' as const, content: 'Hi' }], max_tokens: 10, temperature: 0, logprobs: true, top_logprobs: 5 };
    const chat = await openai.chat.completions.create(chatBody);
    const streamed: OpenAI.Chat.Completions.ChatCompletionTokenLogprob[] = [];
    let text = '';
    for await (const chunk of await openai.chat.completions.create({ ...chatBody, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
      streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    }
    assert.equal(text, chat.choices[0]!.message.content);
    assert.deepEqual(streamed, chat.choices[0]!.logprobs!.content);
  });

  test('a stop string drops the tokens it cuts, streamed or not; max_tokens bounds the count', async () => {
    const { openai } = suite;
    const body = { model: MODEL, prompt: PROMPT, max_tokens: 16, temperature: 0, logprobs: 1 };
    const full = await openai.completions.create(body);
    const lp = full.choices[0]!.logprobs!;
    const k = lp.tokens!.findIndex((t, i) => i >= 3 && t.trim().length >= 2);
    assert.ok(k > 0, `a token to stop at: ${JSON.stringify(lp.tokens)}`);
    const stop = lp.tokens![k]!.trim();
    const fullText = full.choices[0]!.text;
    const cut = [...fullText.slice(0, fullText.indexOf(stop))].length; // code points, like text_offset
    const kept = lp.tokens!.filter((t, i) => lp.text_offset![i]! < cut || (t === '' && lp.text_offset![i]! <= cut));
    assert.ok(kept.length > 0 && kept.length < lp.tokens!.length, `the stop cuts inside: ${kept.length}/${lp.tokens!.length}`);
    const stopped = await openai.completions.create({ ...body, stop });
    const choice = stopped.choices[0]!;
    assert.equal(choice.finish_reason, 'stop');
    assert.equal(choice.text, fullText.slice(0, fullText.indexOf(stop)));
    assert.deepEqual(choice.logprobs!.tokens, kept);
    assert.deepEqual(choice.logprobs!.token_logprobs, lp.token_logprobs!.slice(0, kept.length));
    assert.deepEqual(choice.logprobs!.text_offset, lp.text_offset!.slice(0, kept.length));
    const chunks: OpenAI.Completions.Completion[] = [];
    for await (const chunk of await openai.completions.create({ ...body, stop, stream: true })) chunks.push(chunk);
    assert.deepEqual(mergeCompletionChunks(chunks)[0]!.logprobs, choice.logprobs);
  });

  test('out-of-range or misplaced logprobs parameters are OpenAI-shaped 400s naming the parameter', async () => {
    const { server, openai } = suite;
    const completion = { model: MODEL, prompt: 'hi', max_tokens: 2 };
    const chat = { model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 };
    const cases: [string, object, string][] = [
      ['/v1/completions', { ...completion, logprobs: 21 }, 'logprobs'],
      ['/v1/completions', { ...completion, logprobs: -1 }, 'logprobs'],
      ['/v1/completions', { ...completion, logprobs: 1.5 }, 'logprobs'],
      ['/v1/completions', { ...completion, logprobs: true }, 'logprobs'],
      ['/v1/chat/completions', { ...chat, logprobs: 5 }, 'logprobs'],
      ['/v1/chat/completions', { ...chat, logprobs: 'yes' }, 'logprobs'],
      ['/v1/chat/completions', { ...chat, logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
      ['/v1/chat/completions', { ...chat, logprobs: true, top_logprobs: -1 }, 'top_logprobs'],
      ['/v1/chat/completions', { ...chat, top_logprobs: 2 }, 'top_logprobs'],
      ['/v1/chat/completions', { ...chat, logprobs: false, top_logprobs: 0 }, 'top_logprobs'],
    ];
    for (const [path, body, param] of cases) {
      const error = assertOpenAiError(await rawPost(server.url, path, JSON.stringify(body)), 400);
      assert.equal(error.param, param, JSON.stringify(body));
      assert.equal(error.type, 'invalid_request_error');
    }
    await assert.rejects(openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], top_logprobs: 3 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'top_logprobs');
    await assertNoLeakedBlocks(server);
  });
});
