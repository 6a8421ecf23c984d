// The gateway through the official `openai` client (mock runner workers in threads): chat and
// completions, streaming, n, stop strings, seeds, cached-token usage, routing headers, errors.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { assertNoLeakedBlocks, assertOpenAiError, client, MODEL, mockServer, mockServerForSuite, rawPost, streamedChatChoices } from './gateway-support.js';

const LONG_PROMPT = 'Once upon a time there was a little girl named Lily who loved to play in the park with her dog. '.repeat(3);

describe('gateway with the openai client (mock runner)', () => {
  const suite = mockServerForSuite();

  test('lists the served model', async () => {
    const models = await suite.openai.models.list();
    assert.deepEqual(models.data.map((m) => m.id), [MODEL]);
  });

  test('every response names its trace id, the client traceparent\'s when one is sent (no exporter configured)', async () => {
    const { response } = await suite.openai.completions.create({ model: MODEL, prompt: 'Hello', max_tokens: 2 }).withResponse();
    assert.match(response.headers.get('x-trace-id') ?? '', /^[0-9a-f]{32}$/);
    const traced = await suite.openai.completions.create({ model: MODEL, prompt: 'Hello', max_tokens: 2 }, {
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    }).withResponse();
    assert.equal(traced.response.headers.get('x-trace-id'), '0af7651916cd43dd8448eb211c80319c');
  });

  test('non-streaming chat and completion carry usage with cached_tokens and routing headers', async () => {
    const { data: chat, response } = await suite.openai.chat.completions.create({
      model: MODEL, messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 12, temperature: 0,
    }).withResponse();
    assert.equal(chat.object, 'chat.completion');
    assert.equal(chat.choices.length, 1);
    assert.equal(chat.choices[0]!.message.role, 'assistant');
    assert.ok(chat.choices[0]!.message.content!.length > 0);
    assert.equal(chat.choices[0]!.message.refusal, null, 'the openai types require refusal (null: none)');
    assert.equal(chat.choices[0]!.finish_reason, 'length');
    assert.equal(chat.usage!.completion_tokens, 12);
    assert.equal(chat.usage!.prompt_tokens_details!.cached_tokens, 0);
    assert.match(response.headers.get('x-mini-dynamo-worker-id')!, /^worker-\d$/);
    assert.match(response.headers.get('x-mini-dynamo-overlap-blocks')!, /^\d+$/);
    assert.ok(response.headers.get('x-mini-dynamo-routing-reason'));

    const completion = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 7, temperature: 0 });
    assert.equal(completion.object, 'text_completion');
    assert.equal(completion.usage!.completion_tokens, 7);
    assert.equal(typeof completion.choices[0]!.text, 'string');
    assert.equal(completion.usage!.total_tokens, completion.usage!.prompt_tokens + 7);
  });

  test('streaming equals non-streaming, ends with a finish chunk and a usage chunk', async () => {
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'Tell a story' }], max_tokens: 20, temperature: 0 };
    const whole = await suite.openai.chat.completions.create(body);
    const stream = await suite.openai.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined = null;
    let numChunks = 0;
    for await (const chunk of stream) {
      numChunks++;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        finish = c.finish_reason ?? finish;
      }
    }
    assert.ok(numChunks > 3);
    assert.equal(text, whole.choices[0]!.message.content);
    assert.equal(finish, 'length');
    assert.equal(usage!.completion_tokens, 20);
    assert.equal(typeof usage!.prompt_tokens_details?.cached_tokens, 'number');

    const cstream = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon', max_tokens: 9, temperature: 0, stream: true });
    let ctext = '';
    for await (const chunk of cstream) ctext += chunk.choices[0]?.text ?? '';
    const cwhole = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon', max_tokens: 9, temperature: 0 });
    assert.equal(ctext, cwhole.choices[0]!.text);
  });

  test('n=2 gives two independent choices; seeds reproduce and seed+index differs', async () => {
    const body = { model: MODEL, prompt: 'The cat', max_tokens: 16, temperature: 1, seed: 1234, n: 2 };
    const a = await suite.openai.completions.create(body);
    const b = await suite.openai.completions.create(body);
    assert.deepEqual(a.choices.map((c) => c.index), [0, 1]);
    assert.deepEqual(a.choices.map((c) => c.text), b.choices.map((c) => c.text), 'same seed → same texts');
    assert.notEqual(a.choices[0]!.text, a.choices[1]!.text, 'choice 1 uses seed+1');
    assert.equal(a.usage!.completion_tokens, 32);
    const other = await suite.openai.completions.create({ ...body, n: 1, seed: 99 });
    assert.notEqual(other.choices[0]!.text, a.choices[0]!.text);

    const stream = await suite.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], max_tokens: 5, n: 2, stream: true });
    const choices = await streamedChatChoices(stream);
    const finishes = [0, 1].map((i) => choices.get(i)?.finish ?? null);
    assert.deepEqual(finishes, ['length', 'length']);
  });

  test('stop strings cut the text before the first stop, also when streamed, and never leak', async () => {
    const base = await suite.openai.completions.create({ model: MODEL, prompt: 'A dog', max_tokens: 40, temperature: 0 });
    const full = base.choices[0]!.text;
    const stop = full.slice(10, 14);
    const expected = full.slice(0, full.indexOf(stop));
    const cut = await suite.openai.completions.create({ model: MODEL, prompt: 'A dog', max_tokens: 40, temperature: 0, stop: [stop, 'zzzz-never'] });
    assert.equal(cut.choices[0]!.text, expected);
    assert.equal(cut.choices[0]!.finish_reason, 'stop');
    assert.ok(cut.usage!.completion_tokens < 40);
    const stream = await suite.openai.completions.create({ model: MODEL, prompt: 'A dog', max_tokens: 40, temperature: 0, stop, stream: true });
    let streamed = '';
    let finish: string | null = null;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.text ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(streamed, expected);
    assert.equal(finish, 'stop');
    assert.ok(!streamed.includes(stop));
  });

  test('a repeated long prompt reports cached prompt tokens and routes to the worker holding it', async () => {
    const first = await suite.openai.completions.create({ model: MODEL, prompt: LONG_PROMPT, max_tokens: 4, temperature: 0 }).withResponse();
    assert.equal(first.data.usage!.prompt_tokens_details!.cached_tokens, 0);
    await new Promise((r) => setTimeout(r, 50)); // KV events reach the router
    const second = await suite.openai.completions.create({ model: MODEL, prompt: LONG_PROMPT, max_tokens: 4, temperature: 0 }).withResponse();
    const cached = second.data.usage!.prompt_tokens_details!.cached_tokens ?? 0;
    assert.ok(cached > 0, `cached tokens ${cached}`);
    assert.equal(cached % 16, 0);
    assert.equal(second.response.headers.get('x-mini-dynamo-worker-id'), first.response.headers.get('x-mini-dynamo-worker-id'));
    assert.ok(Number(second.response.headers.get('x-mini-dynamo-overlap-blocks')) > 0);
    assert.equal(second.response.headers.get('x-mini-dynamo-routing-reason'), 'kv_overlap');
  });

  test('per-request router override header is honoured and validated', async () => {
    const { response } = await suite.openai.completions.create({ model: MODEL, prompt: 'hi', max_tokens: 2 },
      { headers: { 'x-mini-dynamo-router': 'round_robin' } }).withResponse();
    assert.equal(response.headers.get('x-mini-dynamo-routing-reason'), 'round_robin');
    await assert.rejects(suite.openai.completions.create({ model: MODEL, prompt: 'hi', max_tokens: 2 }, { headers: { 'x-mini-dynamo-router': 'bogus' } }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'x-mini-dynamo-router');
    const weighted = await suite.openai.completions.create({ model: MODEL, prompt: 'hi', max_tokens: 2 }, { headers: { 'x-mini-dynamo-overlap-weight': '0.5' } });
    assert.equal(weighted.choices.length, 1);
    await assert.rejects(suite.openai.completions.create({ model: MODEL, prompt: 'hi', max_tokens: 2 }, { headers: { 'x-mini-dynamo-overlap-weight': 'NaN' } }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'x-mini-dynamo-overlap-weight');
  });

  test('a list of prompts (text and token ids) × n gives prompts·n choices in order', async () => {
    const result = await suite.openai.completions.create({ model: MODEL, prompt: ['one', 'two'], n: 2, max_tokens: 3, temperature: 0 });
    assert.deepEqual(result.choices.map((c) => c.index), [0, 1, 2, 3]);
    assert.equal(result.choices[0]!.text, result.choices[1]!.text, 'greedy choices of one prompt agree');
    assert.equal(result.usage!.completion_tokens, 12);
    const ids = await suite.openai.completions.create({ model: MODEL, prompt: [[1, 20, 30], [1, 40]], max_tokens: 2, temperature: 0 });
    assert.equal(ids.choices.length, 2);
    assert.equal(ids.usage!.prompt_tokens, 5);
  });

  test('400: bad field, prompt over context, max_tokens over limit; 404: unknown model and route', async () => {
    const streamOptions = assertOpenAiError(await rawPost(suite.server.url, '/v1/completions',
      JSON.stringify({ model: MODEL, prompt: 'hi', max_tokens: 2, stream_options: { include_usage: true } })), 400);
    assert.equal(streamOptions.param, 'stream_options');
    await assert.rejects(suite.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], temperature: 7 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'temperature' && e.type === 'invalid_request_error');
    await assert.rejects(suite.openai.completions.create({ model: MODEL, prompt: 'word '.repeat(2000), max_tokens: 2 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'context_length_exceeded');
    await assert.rejects(suite.openai.completions.create({ model: MODEL, prompt: 'hi', max_tokens: 100_000 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'max_tokens');
    await assert.rejects(suite.openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }], logprobs: true, top_logprobs: 21 }),
      (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'top_logprobs');
    await assert.rejects(suite.openai.completions.create({ model: 'gpt-4o', prompt: 'hi' }),
      (e: unknown) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
    const route = await fetch(`${suite.server.url}/v1/embeddings`, { method: 'POST', body: '{}' });
    assertOpenAiError({ status: route.status, headers: {}, body: await route.text() }, 404);
  });

  test('models.retrieve works; a known route with the wrong method is a 405 with Allow', async () => {
    const model = await suite.openai.models.retrieve(MODEL);
    assert.equal(model.id, MODEL);
    assert.equal(model.object, 'model');
    await assert.rejects(suite.openai.models.retrieve('gpt-4o'), (e: unknown) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found');
    const wrong = await fetch(`${suite.server.url}/v1/chat/completions`, { method: 'GET' });
    assert.equal(wrong.headers.get('allow'), 'POST');
    assert.equal(assertOpenAiError({ status: wrong.status, headers: {}, body: await wrong.text() }, 405).code, 'method_not_allowed');
    const put = await fetch(`${suite.server.url}/v1/models`, { method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.get('allow'), 'GET, HEAD');
  });

  test('413: a body over the limit, declared or chunked, through the client and raw', async () => {
    await assert.rejects(suite.openai.completions.create({ model: MODEL, prompt: 'x'.repeat(2 << 20) }),
      (e: unknown) => e instanceof OpenAI.APIError && e.status === 413);
    const big = JSON.stringify({ model: MODEL, prompt: 'y'.repeat(3 << 20) });
    assertOpenAiError(await rawPost(suite.server.url, '/v1/completions', big), 413);
    assertOpenAiError(await rawPost(suite.server.url, '/v1/completions', big, { chunked: true }), 413);
    await assertNoLeakedBlocks(suite.server);
  });
});

describe('gateway overload (mock runner, bounded waiting queue)', () => {
  test('503 with Retry-After when the waiting queue is full; the queue drains without leaks', async () => {
    const server = await mockServer({ numWorkers: 1, maxNumSeqs: 1, maxNumWaiting: 1, mockSpeedup: 1 });
    try {
      const openai = client(server);
      const results = await Promise.allSettled(Array.from({ length: 5 }, () =>
        openai.completions.create({ model: MODEL, prompt: 'busy busy', max_tokens: 30, temperature: 0 })));
      const rejected = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
      assert.ok(results.some((r) => r.status === 'fulfilled'));
      assert.ok(rejected.length >= 1, 'some requests are refused');
      for (const e of rejected) {
        assert.ok(e instanceof OpenAI.APIError && (e.status === 503 || e.status === 429), String(e));
        assert.ok(Number(e.headers?.get('retry-after')) >= 1);
      }
      await assertNoLeakedBlocks(server);
    } finally {
      await server.close();
    }
  });
});
