// --api-key (vLLM's): with the official openai client, the right key streams; a wrong or missing key is an
// OpenAI-shaped 401 before anything is queued (no routing decision, no prefill, no KV block held);
// /health, /ready, /metrics and /version stay open; POST /reset_prefix_cache needs the key; the key is never echoed.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { ServerHandle } from '@mini-dynamo/gateway';
import { assertNoLeakedBlocks, assertOpenAiError, MODEL, mockServer, rawPost } from './gateway-support.js';

const KEY = 'sk-mini-dynamo-test-4f9c2a7e';
const WRONG = 'sk-wrong-key-0b1d';

/** Sum of every series of one metric in Prometheus text. */
function sumMetric(text: string, name: string): number {
  return text.split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('gateway with --api-key (mock runner, two thread workers)', () => {
  let server: ServerHandle;
  const logs: string[] = [];
  const openai = (apiKey: string) => new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries: 0, timeout: 30_000 });
  const work = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return { decisions: sumMetric(text, 'dynamo_router_decisions_total'), prefill: sumMetric(text, 'dynamo_prefill_tokens_total') };
  };
  before(async () => {
    server = await mockServer({ apiKey: KEY, log: (line) => logs.push(line), onProgress: (line) => logs.push(line) });
  });
  after(() => server.close());

  test('the right key streams a completion', async () => {
    const stream = await openai(KEY).completions.create({
      model: MODEL, prompt: 'Once upon a time', max_tokens: 8, stream: true, stream_options: { include_usage: true },
    });
    let numTokens = 0;
    let finish: string | null = null;
    for await (const chunk of stream) {
      finish = chunk.choices[0]?.finish_reason ?? finish;
      numTokens = chunk.usage?.completion_tokens ?? numTokens;
    }
    assert.equal(finish, 'length');
    assert.equal(numTokens, 8);
    assert.ok((await work()).decisions >= 1, 'the authorised request was routed');
  });

  test('a wrong key: AuthenticationError (401, invalid_api_key) on every /v1 route; nothing queued, no block leaked', async () => {
    const before = await work();
    const client = openai(WRONG);
    const calls = [
      () => client.completions.create({ model: MODEL, prompt: 'Hello', max_tokens: 4, stream: true }),
      () => client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4 }),
      () => client.models.list(),
    ];
    for (const call of calls) {
      await assert.rejects(call(), (e: unknown) => {
        assert.ok(e instanceof OpenAI.AuthenticationError, String(e));
        assert.equal(e.status, 401);
        assert.equal(e.code, 'invalid_api_key');
        assert.equal(e.type, 'invalid_request_error');
        assert.ok(!e.message.includes(WRONG) && !e.message.includes(KEY), e.message);
        return true;
      });
    }
    assert.deepEqual(await work(), before, 'no routing decision and no prefill for refused requests');
    await assertNoLeakedBlocks(server);
  });

  test('a missing or non-Bearer Authorization is an OpenAI-shaped 401 with WWW-Authenticate: Bearer', async () => {
    const body = JSON.stringify({ model: MODEL, prompt: 'Hello', max_tokens: 2 });
    const refused: Record<string, string>[] = [{}, { authorization: `Basic ${KEY}` }, { authorization: 'Bearer ' }, { authorization: `Bearer ${KEY}x` }];
    for (const headers of refused) {
      const reply = await rawPost(server.url, '/v1/completions', body, { headers });
      const error = assertOpenAiError(reply, 401);
      assert.deepEqual([error.type, error.param, error.code], ['invalid_request_error', null, 'invalid_api_key']);
      assert.equal(reply.headers['www-authenticate'], 'Bearer');
      assert.ok(!reply.body.includes(KEY), 'the reply never quotes the key');
    }
    const lowerCaseScheme = await rawPost(server.url, '/v1/completions', body, { headers: { authorization: `bearer ${KEY}` } });
    assert.equal(lowerCaseScheme.status, 200, lowerCaseScheme.body);
  });

  test('/health, /ready, /metrics and /version answer without a key', async () => {
    for (const path of ['/health', '/ready', '/metrics', '/version']) assert.equal((await fetch(`${server.url}${path}`)).status, 200, path);
  });

  test('POST /reset_prefix_cache needs the key', async () => {
    assertOpenAiError(await rawPost(server.url, '/reset_prefix_cache', ''), 401);
    assertOpenAiError(await rawPost(server.url, '/reset_prefix_cache', '', { headers: { authorization: `Bearer ${WRONG}` } }), 401);
    const reply = await rawPost(server.url, '/reset_prefix_cache', '', { headers: { authorization: `Bearer ${KEY}` } });
    assert.equal(reply.status, 200, reply.body);
    assert.equal((JSON.parse(reply.body) as { status: string }).status, 'ok');
  });

  test('no log line carries the key or the wrong one', () => {
    assert.ok(logs.length > 0, 'startup progress was captured');
    for (const line of logs) assert.ok(!line.includes(KEY) && !line.includes(WRONG), line);
  });
});
