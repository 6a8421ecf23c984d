// n-gram speculative decoding end to end: the real stories260K model served twice (speculation off, and on with
// num_speculative_tokens 4) through the official openai client. Verification picks every token exactly as plain
// decoding would, so greedy and seeded outputs (completions and chat, streamed and not, batched) are identical,
// and the speculative server's /metrics shows accepted drafts (TinyStories' greedy stories repeat themselves).
// Last, a standalone `worker --speculative-config` process (the real CLI, over NATS) serves the same outputs.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startServer, type ServerHandle } from '@mini-dynamo/gateway';
import { assertNoLeakedBlocks, client, MODEL, ortServer } from './gateway-support.js';
import { spawnWorker, startNatsServer, waitFor } from './router-fixtures.js';

const PROMPTS = ['Once upon a time', 'Lily went to the park', 'The little dog', 'Tom had a red ball. He'];
const MAX_TOKENS = 128;
const SPECULATIVE = { method: 'ngram', numSpeculativeTokens: 4, promptLookupMax: 4, promptLookupMin: 1 } as const;

interface Served { server: ServerHandle; openai: OpenAI }

async function completion(openai: OpenAI, prompt: string, extra: Partial<OpenAI.CompletionCreateParamsNonStreaming> = {}): Promise<string[]> {
  const r = await openai.completions.create({ model: MODEL, prompt, max_tokens: MAX_TOKENS, temperature: 0, ...extra });
  return r.choices.map((c) => `${c.finish_reason}:${c.text}`);
}

async function streamedCompletion(openai: OpenAI, prompt: string): Promise<string[]> {
  const stream = await openai.completions.create({ model: MODEL, prompt, max_tokens: MAX_TOKENS, temperature: 0, stream: true });
  let text = '';
  let finish: string | null = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.text ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return [`${finish}:${text}`];
}

async function chat(openai: OpenAI, content: string, stream: boolean): Promise<string[]> {
  const body = { model: MODEL, messages: [{ role: 'user' as const, content }], max_tokens: MAX_TOKENS, temperature: 0 };
  if (!stream) return (await openai.chat.completions.create(body)).choices.map((c) => `${c.finish_reason}:${c.message.content}`);
  let text = '';
  let finish: string | null = null;
  for await (const chunk of await openai.chat.completions.create({ ...body, stream: true })) {
    text += chunk.choices[0]?.delta.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return [`${finish}:${text}`];
}

/** Every prompt at once (so the engine batches them), in prompt order. */
const everyPrompt = (f: (prompt: string) => Promise<string[]>) => Promise.all(PROMPTS.map(f));

async function metricValue(server: ServerHandle, name: string): Promise<number | null> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].map((m) => Number(m[1]));
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
}

describe('n-gram speculative decoding on the real model: outputs identical with speculation off and on', () => {
  const off = {} as Served;
  const on = {} as Served;
  before(async () => {
    const [plain, speculative] = await Promise.all([ortServer({ numBlocks: 128 }), ortServer({ numBlocks: 128, speculative: SPECULATIVE })]);
    Object.assign(off, { server: plain, openai: client(plain) });
    Object.assign(on, { server: speculative, openai: client(speculative) });
  });
  after(async () => { await Promise.all([off.server?.close(), on.server?.close()]); });

  test('greedy completions, non-streamed and streamed, batched', async () => {
    const expected = await everyPrompt((p) => completion(off.openai, p));
    assert.deepEqual(await everyPrompt((p) => completion(on.openai, p)), expected);
    assert.deepEqual(await everyPrompt((p) => streamedCompletion(on.openai, p)), expected);
    assert.ok(expected.some(([text]) => text!.length > 300), 'long outputs, where drafts get verified');
  });

  test('greedy chat completions, non-streamed and streamed', async () => {
    const expected = await everyPrompt((p) => chat(off.openai, p, false));
    assert.deepEqual(await everyPrompt((p) => chat(on.openai, p, false)), expected);
    assert.deepEqual(await everyPrompt((p) => chat(on.openai, p, true)), expected);
  });

  test('seeded sampling at temperature 0.8 (n = 2) is identical', async () => {
    const seeded = (openai: OpenAI) => everyPrompt((p) => completion(openai, p, { temperature: 0.8, seed: 11, n: 2 }));
    const expected = await seeded(off.openai);
    assert.deepEqual(await seeded(on.openai), expected);
    assert.ok(expected.some(([a, b]) => a !== b), 'the two seeded choices differ');
  });

  test('/metrics: drafts accepted with speculation on; no speculative series with it off; no leaked KV block', async () => {
    const accepted = await metricValue(on.server, 'dynamo_speculative_tokens_accepted_total');
    const rejected = await metricValue(on.server, 'dynamo_speculative_tokens_rejected_total');
    assert.ok(accepted !== null && accepted > 0, `accepted drafts: ${accepted}`);
    assert.ok(rejected !== null && rejected >= 0);
    const rate = await metricValue(on.server, 'dynamo_speculative_acceptance_rate');
    assert.ok(rate !== null && rate > 0 && rate <= 1, `acceptance rate ${rate}`);
    assert.equal(await metricValue(off.server, 'dynamo_speculative_tokens_accepted_total'), null);
    await assertNoLeakedBlocks(on.server);
    await assertNoLeakedBlocks(off.server);
  });

  test('a standalone `worker --speculative-config` (CLI flag, NATS + HTTP) speculates and serves the same outputs', async (t) => {
    const nats = await startNatsServer();
    t.after(() => nats.stop());
    const worker = spawnWorker(nats.url, 'spec-0', ['--runner', 'ort', '--intra-op-threads', '1', '--num-blocks', '128',
      '--speculative-config', '{"method":"ngram","num_speculative_tokens":4}']);
    t.after(() => worker.kill());
    const gateway = await startServer({ natsUrl: nats.url, numWorkers: 0, port: 0, host: '127.0.0.1', log: () => {} });
    t.after(() => gateway.close());
    await waitFor(() => gateway.gateway.pool.numReady() === 1, 60_000, 'the gateway to discover the ORT worker');
    const remote = client(gateway);
    assert.deepEqual(await everyPrompt((p) => completion(remote, p)), await everyPrompt((p) => completion(off.openai, p)));
    const accepted = await metricValue(gateway, 'dynamo_speculative_tokens_accepted_total');
    assert.ok(accepted !== null && accepted > 0, `accepted drafts on the standalone worker: ${accepted}`);
  });
});
