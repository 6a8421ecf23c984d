// logit_bias, min_p, repetition_penalty and min_tokens through the gateway (mock runner workers in threads) with the
// official openai client: a +100 bias makes greedy output that token, min_tokens holds off a stop token id and stop
// strings, the 400s name their field, and nothing leaks.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { assertNoLeakedBlocks, badParam, MODEL, mockServerForSuite } from './gateway-support.js';

const PROMPT = 'Once upon a time';
type Body = OpenAI.Completions.CompletionCreateParamsNonStreaming;
/** A completions body with vLLM's extra fields (the client sends them as they are). */
const body = (extra: Record<string, unknown>): Body => ({ model: MODEL, prompt: PROMPT, max_tokens: 4, temperature: 0, ...extra }) as Body;

describe('gateway sampling extras (mock runner)', () => {
  const suite = mockServerForSuite();

  test('logit_bias +100 on one token makes greedy output that token, every time (completions and chat)', async () => {
    const { openai } = suite;
    const tokensOf = async (bias: Record<string, number> | undefined) => {
      const r = await openai.completions.create(body({ logit_bias: bias, logprobs: 0 }));
      return r.choices[0]!.logprobs!.tokens!;
    };
    const plain = await tokensOf(undefined);
    const a = await tokensOf({ 300: 100 });
    const b = await tokensOf({ 301: 100 });
    for (const tokens of [a, b]) {
      assert.equal(tokens.length, 4);
      assert.equal(new Set(tokens).size, 1, JSON.stringify(tokens));
    }
    assert.notEqual(a[0], b[0]);
    assert.notDeepEqual(plain, a);
    const detokenized = await fetch(`${suite.server.url}/detokenize`, { method: 'POST', body: JSON.stringify({ tokens: [300] }) });
    assert.equal(a[0]!.trim(), ((await detokenized.json()) as { prompt: string }).prompt.trim(), 'the biased token itself');
    const chat = await openai.chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, temperature: 0, logit_bias: { 300: 100 }, logprobs: true,
    });
    assert.deepEqual(chat.choices[0]!.logprobs!.content!.map((t) => t.token), [a[0], a[0], a[0]]);
  });

  test('min_tokens: a stop token id biased to be the pick ends the request only once min_tokens tokens exist', async () => {
    const { openai } = suite;
    const stopping = { logit_bias: { 300: 100 }, stop_token_ids: [300], max_tokens: 8 };
    const now = await openai.completions.create(body(stopping));
    assert.equal(now.choices[0]!.text, '');
    assert.equal(now.choices[0]!.finish_reason, 'stop');
    const later = await openai.completions.create(body({ ...stopping, min_tokens: 3, logprobs: 0 }));
    assert.equal(later.choices[0]!.logprobs!.tokens!.length, 3);
    const piece = (await openai.completions.create(body({ logit_bias: { 300: 100 }, max_tokens: 1, logprobs: 0 }))).choices[0]!.logprobs!.tokens![0]!;
    assert.ok(!later.choices[0]!.logprobs!.tokens!.includes(piece), 'token 300 was masked until then');
    assert.equal(later.choices[0]!.finish_reason, 'stop');
    assert.equal(later.usage!.completion_tokens, 4, 'three tokens and the stop token');
  });

  test('min_tokens: stop strings do not end the request before it (as vLLM)', async () => {
    const { openai } = suite;
    const first = await openai.completions.create(body({ max_tokens: 6, logprobs: 0 }));
    const tokens = first.choices[0]!.logprobs!.tokens!;
    const stop = tokens[0]!.trim();
    assert.ok(stop.length > 0, JSON.stringify(tokens));
    const cut = await openai.completions.create(body({ max_tokens: 6, stop: [stop] }));
    assert.ok(cut.choices[0]!.text.length < tokens[0]!.length, 'without min_tokens the first token is cut');
    const held = await openai.completions.create(body({ max_tokens: 6, stop: [stop], min_tokens: 3 }));
    assert.ok(held.choices[0]!.text.startsWith(tokens.slice(0, 3).join('')), JSON.stringify(held.choices[0]!.text));
  });

  test('min_p and repetition_penalty are accepted and change nothing greedy must keep', async () => {
    const { openai } = suite;
    const plain = await openai.completions.create(body({}));
    const extras = await openai.completions.create(body({ min_p: 0.5, repetition_penalty: 1 }));
    assert.equal(extras.choices[0]!.text, plain.choices[0]!.text);
    const penalised = await openai.completions.create(body({ repetition_penalty: 1.5, min_p: 0.05, temperature: 1, seed: 3 }));
    assert.equal(penalised.usage!.completion_tokens, 4);
  });

  test('400s name the field: logit_bias (range, key, vocabulary, one id twice), min_p, repetition_penalty, min_tokens > max_tokens', async () => {
    const { openai, server } = suite;
    await assert.rejects(openai.completions.create(body({ logit_bias: { 300: 101 } })), badParam('logit_bias.300'));
    await assert.rejects(openai.completions.create(body({ logit_bias: { 512: 1 } })), badParam('logit_bias', 'invalid_token_id'));
    await assert.rejects(openai.completions.create(body({ logit_bias: { x: 1 } })), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param!.startsWith('logit_bias'));
    // '0300' and '300' name one token: refused, not summed (+100 and -100 would cancel out silently)
    await assert.rejects(openai.completions.create(body({ logit_bias: { 300: 100, '0300': -100 } })), badParam('logit_bias'));
    await assert.rejects(openai.completions.create(body({ min_p: 1.5 })), badParam('min_p'));
    await assert.rejects(openai.completions.create(body({ repetition_penalty: 0 })), badParam('repetition_penalty'));
    await assert.rejects(openai.completions.create(body({ min_tokens: 5, max_tokens: 4 })), badParam('min_tokens'));
    await assert.rejects(openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], logit_bias: { 100000: 1 } }), badParam('logit_bias'));
    await assertNoLeakedBlocks(server);
  });
});
