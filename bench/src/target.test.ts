// A bench target against a gateway run with an API key: the key from --api-key or MINI_DYNAMO_API_KEY
// rides on model discovery and on every streamed turn; without it the server refuses (HTTP 401).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startServer } from '@mini-dynamo/gateway';
import { sendTurn } from './sse-client.js';
import { apiKeyFrom, discoverModel, type Target } from './target.js';

test('--api-key wins over MINI_DYNAMO_API_KEY; an empty or absent one means no key', () => {
  assert.equal(apiKeyFrom('flag', { MINI_DYNAMO_API_KEY: 'env' }), 'flag');
  assert.equal(apiKeyFrom(undefined, { MINI_DYNAMO_API_KEY: 'env' }), 'env');
  assert.equal(apiKeyFrom(undefined, { MINI_DYNAMO_API_KEY: '', OPENAI_API_KEY: 'sk-real' }), null);
});

test('a protected gateway serves the bench client with the key and refuses it without', async () => {
  const key = 'sk-bench-protected';
  const server = await startServer({ runner: 'mock', numWorkers: 1, port: 0, host: '127.0.0.1', numBlocks: 64, log: () => {}, apiKey: key });
  try {
    const target: Target = { api: 'completions', baseUrl: `${server.url}/v1`, model: null, apiKey: key, headers: {} };
    const model = await discoverModel(target);
    const turn = { promptTokenIds: [5, 6, 7, 8], maxTokens: 3 };
    const send = (t: Target, id: string) => sendTurn(t, model, turn, { id, signal: new AbortController().signal, headers: {}, now: () => performance.now() });
    const ok = await send(target, 'with-key');
    assert.equal(ok.error, null);
    assert.equal(ok.usage?.completionTokens, 3);
    const anonymous = { ...target, apiKey: null };
    assert.equal((await send(anonymous, 'without-key')).error, 'HTTP 401');
    await assert.rejects(discoverModel(anonymous), /HTTP 401/);
  } finally {
    await server.close();
  }
});
