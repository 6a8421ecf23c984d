// POST /reset_prefix_cache on a gateway with mock-runner thread workers: a cached prompt becomes a
// miss (worker usage and the router's overlap), running requests finish untouched, no block leaks.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { startServer, type ServerHandle } from '@mini-dynamo/gateway';
import { assertNoLeakedBlocks, assertOpenAiError, client, MODEL, mockServer, mockServerForSuite, rawPost } from './gateway-support.js';

const PROMPT = 'The little dog ran to the big red barn to find his friend the cat, who was asleep in the hay. '.repeat(3);
const BLOCK_SIZE = 16;

interface ResetReply {
  status: string;
  num_blocks_cleared: number;
}

async function resetPrefixCache(server: ServerHandle): Promise<ResetReply> {
  const reply = await rawPost(server.url, '/reset_prefix_cache', '');
  assert.equal(reply.status, 200, reply.body);
  return JSON.parse(reply.body) as ResetReply;
}

describe('POST /reset_prefix_cache (mock runner, two thread workers)', () => {
  const suite = mockServerForSuite();

  const complete = async (prompt: string, maxTokens = 4) => {
    const { data, response } = await suite.openai.completions.create({ model: MODEL, prompt, max_tokens: maxTokens, temperature: 0 }).withResponse();
    return {
      usage: data.usage!,
      numCachedTokens: data.usage!.prompt_tokens_details?.cached_tokens ?? null,
      numOverlapBlocks: Number(response.headers.get('x-mini-dynamo-overlap-blocks')),
    };
  };

  test('a cached prompt is a miss after the reset, for the worker and for the router', async () => {
    const first = await complete(PROMPT);
    assert.equal(first.numCachedTokens, 0);
    const second = await complete(PROMPT);
    assert.ok(second.numCachedTokens! > 0, `cached tokens ${second.numCachedTokens}`);
    assert.ok(second.numOverlapBlocks > 0);

    const reset = await resetPrefixCache(suite.server);
    assert.equal(reset.status, 'ok');
    // Only the worker both requests went to holds blocks: every computed token's full block.
    const numComputed = first.usage.prompt_tokens + first.usage.completion_tokens - 1;
    assert.equal(reset.num_blocks_cleared, Math.floor(numComputed / BLOCK_SIZE));

    const third = await complete(PROMPT); // no wait: the cleared events reached the router before the reply
    assert.equal(third.numCachedTokens, 0, 'the worker recomputed the whole prompt');
    assert.equal(third.numOverlapBlocks, 0, 'the router\'s index holds nothing of it');
    await assertNoLeakedBlocks(suite.server);

    const emptied = await resetPrefixCache(suite.server);
    assert.equal(emptied.num_blocks_cleared, Math.floor(numComputed / BLOCK_SIZE), 'only the third request\'s blocks');
    assert.equal((await resetPrefixCache(suite.server)).num_blocks_cleared, 0, 'an empty cache clears nothing');
  });

  test('GET is a 405 with Allow: POST', async () => {
    const reply = await fetch(`${suite.server.url}/reset_prefix_cache`);
    assert.equal(reply.headers.get('allow'), 'POST');
    assert.equal(assertOpenAiError({ status: reply.status, headers: {}, body: await reply.text() }, 405).code, 'method_not_allowed');
  });
});

describe('POST /reset_prefix_cache during a request (mock runner at modelled speed)', () => {
  test('the running request finishes with all its tokens; its cleared prompt blocks are not shared; nothing leaks', async () => {
    const server = await mockServer({ numWorkers: 1, mockSpeedup: 1 });
    try {
      const openai = client(server);
      const stream = await openai.completions.create({
        model: MODEL, prompt: PROMPT, max_tokens: 100, temperature: 0, stream: true, stream_options: { include_usage: true },
      });
      let usage: OpenAI.CompletionUsage | null = null;
      let finish: string | null = null;
      let resetDone: Promise<ResetReply> | null = null;
      for await (const chunk of stream) {
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
        resetDone ??= resetPrefixCache(server); // after the first token: the sequence holds its blocks
      }
      assert.equal(finish, 'length');
      assert.equal(usage!.completion_tokens, 100);
      const numFinalBlocks = Math.floor((usage!.prompt_tokens + 99) / BLOCK_SIZE);
      const reset = await resetDone!;
      assert.ok(reset.num_blocks_cleared > 0 && reset.num_blocks_cleared < numFinalBlocks, `reset mid-request: ${reset.num_blocks_cleared} of ${numFinalBlocks} blocks`);
      await assertNoLeakedBlocks(server);
      const again = await openai.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 1, temperature: 0 });
      assert.equal(again.usage!.prompt_tokens_details?.cached_tokens, 0, 'prompt blocks cleared while in use were not cached again');
    } finally {
      await server.close();
    }
  });
});

test('POST /reset_prefix_cache with no ready worker is an OpenAI-shaped 503', async () => {
  const server = await startServer({ runner: 'mock', numWorkers: 0, port: 0, host: '127.0.0.1', log: () => {} });
  try {
    const reply = await rawPost(server.url, '/reset_prefix_cache', '');
    const error = assertOpenAiError(reply, 503);
    assert.equal(error.code, 'no_workers');
    assert.equal(error.type, 'service_unavailable_error');
    assert.ok(Number(reply.headers['retry-after']) >= 1);
  } finally {
    await server.close();
  }
});
