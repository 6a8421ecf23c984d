// vLLM `prompt_logprobs` through the gateway with the mock runner and the official openai client: vLLM's shape (per
// choice on completions, top-level on chat; [0] null; the prompt token with its rank plus the top-N at ranks 1..N,
// exact mock values), alongside an echo with fewer alternatives, no prefix-cache hit taken, the 400s, no leaked blocks.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MOCK_RUNNER_INFO, mockLogprobs, mockNextToken } from '@mini-dynamo/engine';
import { assertNoLeakedBlocks, assertOpenAiError, MODEL, mockServerForSuite, rawPost } from './gateway-support.js';

const VOCAB = 512;
const INFO = { ...MOCK_RUNNER_INFO, vocabSize: VOCAB, eosTokenIds: [2] };
const PROMPT = 'Once upon a time';
type Entry = Record<string, { logprob: number; rank: number | null; decoded_token: string }> | null;
interface WithPromptLogprobs { prompt_logprobs?: Entry[] }

const want = (ids: number[], i: number, numTop: number) => mockLogprobs(mockNextToken(ids[i - 1]!, i, 0, INFO), numTop, VOCAB, ids[i]);

/** Checks one prompt_logprobs array against the mock's exact distribution. */
function assertPromptLogprobs(entries: Entry[] | undefined, ids: number[], numTop: number): void {
  assert.ok(entries, 'prompt_logprobs present');
  assert.equal(entries.length, ids.length);
  assert.equal(entries[0], null);
  for (let i = 1; i < ids.length; i++) {
    const w = want(ids, i, numTop);
    const dict: NonNullable<Entry> = entries[i]!;
    const own: NonNullable<Entry>[string] = dict[String(ids[i])]!;
    assert.equal(own.logprob, w.logprob, `prompt token ${i}`);
    assert.equal(typeof own.decoded_token, 'string');
    w.topTokenIds.forEach((id, k) => assert.deepEqual([dict[String(id)]!.logprob, dict[String(id)]!.rank], [w.topLogprobs[k], k + 1]));
    const inTop = w.topTokenIds.includes(ids[i]!);
    assert.equal(Object.keys(dict).length, numTop + (inTop ? 0 : 1));
    if (!inTop) assert.equal(own.rank, w.rank);
  }
}

describe('vLLM prompt_logprobs (mock runner)', () => {
  const suite = mockServerForSuite();
  const tokenize = async (body: object) => (await (await fetch(`${suite.server.url}/tokenize`, { method: 'POST', body: JSON.stringify({ model: MODEL, ...body }) })).json() as { tokens: number[] }).tokens;

  test('completions: per choice, vLLM shape, exact values; n and several prompts; no cache hit', async () => {
    const ids = await tokenize({ prompt: PROMPT });
    const body = { model: MODEL, prompt: [PROMPT, PROMPT], n: 2, max_tokens: 2, temperature: 0, prompt_logprobs: 3 };
    const first = await suite.openai.completions.create(body);
    assert.equal(first.choices.length, 4);
    for (const c of first.choices) {
      assertPromptLogprobs((c as WithPromptLogprobs).prompt_logprobs, ids, 3);
      assert.equal(c.logprobs, null);
    }
    const again = await suite.openai.completions.create(body);
    assert.equal(again.usage!.prompt_tokens_details?.cached_tokens, 0, 'prompt scoring takes no prefix-cache hit');
    const plain = await suite.openai.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 2, temperature: 0 });
    assert.equal((plain.choices[0] as WithPromptLogprobs).prompt_logprobs, undefined, 'absent unless asked');
    assert.equal(plain.choices[0]!.text, first.choices[0]!.text);
    await assertNoLeakedBlocks(suite.server);
  });

  test('prompt_logprobs 0: the prompt token only; with echo + logprobs 1 each keeps its own number of alternatives', async () => {
    const ids = await tokenize({ prompt: PROMPT });
    const zero = await suite.openai.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 1, prompt_logprobs: 0 } as never);
    assertPromptLogprobs((zero as { choices: WithPromptLogprobs[] }).choices[0]!.prompt_logprobs, ids, 0);
    const both = await suite.openai.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 1, echo: true, logprobs: 1, prompt_logprobs: 4 } as never) as { choices: (WithPromptLogprobs & { logprobs: { top_logprobs: Record<string, number>[] } })[] };
    const choice = both.choices[0]!;
    assertPromptLogprobs((choice as WithPromptLogprobs).prompt_logprobs, ids, 4);
    const echoed = choice.logprobs.top_logprobs;
    for (let i = 1; i < ids.length; i++) assert.ok(Object.keys(echoed[i]!).length <= 2, 'echo keeps logprobs 1 (+ the token)');
  });

  test('chat: top-level prompt_logprobs over the templated prompt', async () => {
    const messages = [{ role: 'user' as const, content: PROMPT }];
    const ids = await tokenize({ messages });
    const reply = await suite.openai.chat.completions.create({ model: MODEL, messages, max_tokens: 2, n: 2, prompt_logprobs: 2 } as never);
    assertPromptLogprobs((reply as WithPromptLogprobs).prompt_logprobs, ids, 2);
    assert.equal((reply as { choices: WithPromptLogprobs[] }).choices[0]!.prompt_logprobs, undefined);
  });

  test('chat n > 1: only one choice scores the prompt (reported once), the others take prefix-cache hits', async () => {
    const messages = [{ role: 'user' as const, content: `${PROMPT} there lived a cat. `.repeat(3) }];
    const ids = await tokenize({ messages });
    assert.ok(ids.length >= 32, 'two full blocks to hit');
    await suite.openai.chat.completions.create({ model: MODEL, messages, max_tokens: 1 }); // caches the prompt's blocks
    const reply = await suite.openai.chat.completions.create({ model: MODEL, messages, max_tokens: 2, n: 3, prompt_logprobs: 1 } as never);
    assertPromptLogprobs((reply as WithPromptLogprobs).prompt_logprobs, ids, 1);
    assert.ok(reply.usage!.prompt_tokens_details!.cached_tokens! >= 16, JSON.stringify(reply.usage));
    await assertNoLeakedBlocks(suite.server);
  });

  test('400s: > 0 with stream (as vLLM), out of range; 0 with stream is accepted and not reported', async () => {
    const { server } = suite;
    for (const [path, extra] of [['/v1/completions', { prompt: PROMPT }], ['/v1/chat/completions', { messages: [{ role: 'user', content: PROMPT }] }]] as const) {
      const streamed = assertOpenAiError(await rawPost(server.url, path, JSON.stringify({ model: MODEL, ...extra, stream: true, prompt_logprobs: 1 })), 400);
      assert.equal(streamed.param, 'prompt_logprobs');
      assert.match(streamed.message, /not available when `stream=True`/);
      for (const bad of [-1, 21, 1.5, 'x']) {
        const error = assertOpenAiError(await rawPost(server.url, path, JSON.stringify({ model: MODEL, ...extra, prompt_logprobs: bad })), 400);
        assert.equal(error.param, 'prompt_logprobs');
      }
      const ok = await rawPost(server.url, path, JSON.stringify({ model: MODEL, ...extra, max_tokens: 1, stream: true, prompt_logprobs: 0 }));
      assert.equal(ok.status, 200);
      assert.ok(!ok.body.includes('prompt_logprobs'));
    }
    await assertNoLeakedBlocks(server);
  });
});
