// The multi-host topology end to end over HTTP: two `serve --nats` gateways (no local workers)
// and three standalone worker processes on a real nats-server; the official openai client sends
// shared-prefix prompts to both gateways and reads the routing headers; a prefix-cache reset
// through one gateway reaches every worker and both routers; logprobs, echo and the sampling extras cross the wire.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, type ServerHandle } from '@mini-dynamo/gateway';
import { mergeCompletionChunks } from './gateway-support.js';
import { spawnWorker, startNatsServer, tokens, waitFor, type NatsServer, type WorkerProcess } from './router-fixtures.js';

let nats: NatsServer;
let workers: WorkerProcess[] = [];
let gateways: ServerHandle[] = [];

before(async () => {
  nats = await startNatsServer();
  workers = ['hx0', 'hx1', 'hx2'].map((id) => spawnWorker(nats.url, id));
  gateways = await Promise.all([0, 1].map(() => startServer({ natsUrl: nats.url, numWorkers: 0, runner: 'mock', port: 0, host: '127.0.0.1', log: () => {} })));
  await waitFor(() => gateways.every((g) => g.gateway.pool.numReady() === 3), 15_000, 'both gateways to discover 3 workers');
});

after(async () => {
  await Promise.all(gateways.map((g) => g.close()));
  workers.forEach((w) => w.kill());
  nats.stop();
});

test('serve --nats: both gateways route a shared prefix to the worker that cached it (openai client)', async () => {
  const clients = gateways.map((g) => new OpenAI({ baseURL: `${g.url}/v1`, apiKey: 'none', maxRetries: 0 }));
  const model = (await clients[0]!.models.list()).data[0]!.id;
  const system = tokens(160, 424242);
  const first = await clients[0]!.completions.create({ model, prompt: [...system, ...tokens(8, 1)], max_tokens: 4, temperature: 0 }).withResponse();
  const home = first.response.headers.get('x-mini-dynamo-worker-id');
  assert.ok(home && ['hx0', 'hx1', 'hx2'].includes(home), `worker header: ${home}`);
  for (const [gi, openai] of clients.entries()) {
    await waitFor(async () => (await fetch(`${gateways[gi]!.url}/ready`)).ok, 2000, 'gateway ready');
    await new Promise((r) => setTimeout(r, 150)); // KV events and replica finishes cross NATS
    const again = await openai.completions.create({ model, prompt: [...system, ...tokens(24, 10 + gi)], max_tokens: 4, temperature: 0 }).withResponse();
    assert.equal(again.response.headers.get('x-mini-dynamo-worker-id'), home, `gateway ${gi}`);
    assert.equal(again.response.headers.get('x-mini-dynamo-overlap-blocks'), '10');
    assert.equal(again.response.headers.get('x-mini-dynamo-routing-reason'), 'kv_overlap');
    assert.equal(again.data.usage!.prompt_tokens_details!.cached_tokens, 160, 'served from the worker\'s prefix cache');
  }
});

test('POST /reset_prefix_cache on one gateway empties the standalone workers\' caches and both gateways\' indexes', async () => {
  const reply = await fetch(`${gateways[0]!.url}/reset_prefix_cache`, { method: 'POST' });
  assert.equal(reply.status, 200);
  const body = await reply.json() as { status: string; num_blocks_cleared: number };
  assert.equal(body.status, 'ok');
  assert.ok(body.num_blocks_cleared >= 10, `the first test cached 10 system blocks: ${body.num_blocks_cleared}`);
  await new Promise((r) => setTimeout(r, 150)); // the cleared KV events cross NATS to the other gateway
  const openai = new OpenAI({ baseURL: `${gateways[1]!.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const model = (await openai.models.list()).data[0]!.id;
  const again = await openai.completions.create({ model, prompt: [...tokens(160, 424242), ...tokens(24, 77)], max_tokens: 4, temperature: 0 }).withResponse();
  assert.equal(again.response.headers.get('x-mini-dynamo-overlap-blocks'), '0', 'the other gateway\'s router applied the cleared events');
  assert.equal(again.data.usage!.prompt_tokens_details!.cached_tokens, 0, 'the worker recomputed the prompt');
});

test('logprobs and echo cross the NDJSON wire from a standalone worker: streamed equals unstreamed (openai client)', async () => {
  const openai = new OpenAI({ baseURL: `${gateways[0]!.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const model = (await openai.models.list()).data[0]!.id;
  const params = { model, prompt: 'Once upon a time, a cat', max_tokens: 5, temperature: 0, echo: true, logprobs: 2, ignore_eos: true } as const;
  const whole = await openai.completions.create(params);
  const choice = whole.choices[0]!;
  const lp = choice.logprobs!;
  assert.ok(choice.text.startsWith(params.prompt), choice.text);
  assert.equal(lp.tokens!.join(''), choice.text);
  assert.equal(lp.tokens!.length, whole.usage!.prompt_tokens + 5);
  assert.equal(lp.token_logprobs![0], null);
  assert.equal(lp.top_logprobs![0], null);
  assert.ok(lp.token_logprobs!.slice(1).every((l) => typeof l === 'number' && l <= 0));
  const chunks: OpenAI.Completions.Completion[] = [];
  for await (const chunk of await openai.completions.create({ ...params, stream: true })) chunks.push(chunk);
  const streamed = mergeCompletionChunks(chunks)[0]!;
  assert.equal(streamed.text, choice.text);
  assert.deepEqual(streamed.logprobs.tokens, lp.tokens);
  assert.deepEqual(streamed.logprobs.token_logprobs, lp.token_logprobs);
  assert.deepEqual(streamed.logprobs.text_offset, lp.text_offset);
  const chat = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, temperature: 0, logprobs: true, top_logprobs: 2, ignore_eos: true } as OpenAI.ChatCompletionCreateParamsNonStreaming);
  const content = chat.choices[0]!.logprobs!.content!;
  assert.equal(content.map((t) => t.token).join(''), chat.choices[0]!.message.content);
  assert.ok(content.every((t) => t.top_logprobs.length === 2));
});

test('logit_bias, min_tokens and a structured-output spec cross the NDJSON wire to a standalone worker, which enforces it (openai client)', async () => {
  const openai = new OpenAI({ baseURL: `${gateways[0]!.url}/v1`, apiKey: 'none', maxRetries: 0 });
  const model = (await openai.models.list()).data[0]!.id;
  const biased = await openai.completions.create({ model, prompt: 'Once upon a time', max_tokens: 3, temperature: 0, logit_bias: { 300: 100 }, logprobs: 0 });
  const tokens = biased.choices[0]!.logprobs!.tokens!;
  assert.equal(tokens.length, 3);
  assert.equal(new Set(tokens).size, 1);
  const held = await openai.completions.create({
    model, prompt: 'Once upon a time', max_tokens: 6, temperature: 0, logit_bias: { 300: 100 }, stop_token_ids: [300], min_tokens: 2,
  } as OpenAI.Completions.CompletionCreateParamsNonStreaming);
  assert.equal(held.usage!.completion_tokens, 3, 'two tokens, then the stop token');
  const guided = await openai.chat.completions.create({
    model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 30,
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } } },
  });
  assert.equal(typeof (JSON.parse(guided.choices[0]!.message.content!) as { ok: unknown }).ok, 'boolean', 'the standalone worker enforces the schema');
});
