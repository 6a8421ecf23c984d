// vLLM's `priority` request field through the official openai client (mock runner): refused (400 naming it) unless the
// server runs --scheduling-policy priority; an integer only; under priority a request sent last with priority -5
// starts (and finishes) before the priority 0 ones queued before it.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { assertNoLeakedBlocks, assertOpenAiError, badParam, MODEL, mockServerForSuite, rawPost } from './gateway-support.js';

type ChatParams = OpenAI.ChatCompletionCreateParamsNonStreaming;
/** vLLM's extra body field: the JS client sends unknown params as they are. */
const withPriority = <T extends object>(params: T, priority: unknown): T => ({ ...params, priority }) as T;
const chat = (content: string, maxTokens: number): ChatParams => ({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: maxTokens, temperature: 0 });

describe('priority under the default fcfs policy', () => {
  const suite = mockServerForSuite({ numWorkers: 1 });

  test('a priority other than 0 is a 400 naming priority and the flag; 0 is served', async () => {
    await assert.rejects(suite.openai.chat.completions.create(withPriority(chat('Hi', 2), 1)), (e: unknown) =>
      badParam('priority')(e) && /--scheduling-policy priority/.test((e as Error).message));
    await assert.rejects(suite.openai.completions.create(withPriority({ model: MODEL, prompt: 'Hi', max_tokens: 2 }, -3)), badParam('priority'));
    const reply = await rawPost(suite.server.url, '/v1/responses', JSON.stringify({ model: MODEL, input: 'Hi', max_output_tokens: 2, priority: 2 }));
    assert.equal(assertOpenAiError(reply, 400).param, 'priority');
    const served = await suite.openai.chat.completions.create(withPriority(chat('Hi', 2), 0));
    assert.equal(served.usage!.completion_tokens, 2);
    await assertNoLeakedBlocks(suite.server);
  });
});

describe('priority under --scheduling-policy priority', () => {
  const suite = mockServerForSuite({ numWorkers: 1, maxNumSeqs: 1, schedulingPolicy: 'priority', mockSpeedup: 1 });

  test('a non-integer priority is a 400 naming priority', async () => {
    for (const bad of [1.5, '1', true]) {
      await assert.rejects(suite.openai.chat.completions.create(withPriority(chat('Hi', 2), bad)), badParam('priority'), String(bad));
    }
    const reply = await rawPost(suite.server.url, '/v1/responses', JSON.stringify({ model: MODEL, input: 'Hi', max_output_tokens: 2, priority: 0.5 }));
    assert.equal(assertOpenAiError(reply, 400).param, 'priority');
    const ok = await rawPost(suite.server.url, '/v1/responses', JSON.stringify({ model: MODEL, input: 'Hi', max_output_tokens: 2, priority: -1 }));
    assert.equal(ok.status, 200, ok.body);
  });

  test('with one sequence at a time, a priority -5 request sent after three priority 0 ones is the next to start', async () => {
    const started: string[] = [];
    const finished: string[] = [];
    const run = async (id: string, params: ChatParams) => {
      const stream = await suite.openai.chat.completions.create({ ...params, stream: true }); // headers come with the first token
      started.push(id);
      for await (const _ of stream) { /* drain */ }
      finished.push(id);
    };
    const long = run('long', chat('Tell me a long story', 150));
    await waitFor(() => started.includes('long'));
    const queued = ['p0-a', 'p0-b', 'p0-c'].map((id) => run(id, withPriority(chat(`Story ${id}`, 3), 0)));
    await waitFor(async () => (await numWaiting(suite.server.url)) >= 3); // all three queued behind `long`
    assert.ok(!finished.includes('long'), 'long is still running: make it longer if this fails');
    const urgent = run('urgent', withPriority(chat('Urgent story', 3), -5));
    await Promise.all([long, ...queued, urgent]);
    assert.deepEqual(started.slice(0, 2), ['long', 'urgent']);
    assert.deepEqual(finished.slice(0, 2), ['long', 'urgent']);
    assert.deepEqual(new Set(started.slice(2)), new Set(['p0-a', 'p0-b', 'p0-c']));
    await assertNoLeakedBlocks(suite.server);
  });
});

/** The worker's waiting queue as /metrics reports it (the gauge is set every engine step). */
async function numWaiting(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = [...text.matchAll(/^dynamo_scheduler_waiting_queue_size\{[^}]*\} (\d+)/gm)].map((m) => Number(m[1]));
  return Math.max(0, ...values);
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    assert.ok(Date.now() < deadline, 'condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
