// Completions `echo` with `max_tokens: 0` (lm-eval / vLLM): the prompt alone — its text, with `logprobs` its
// tokens' logprobs ([0] null, the echo path's values) — finish_reason "length", usage completion_tokens 0; the
// worker scores the prompt and samples nothing (no output token in the metrics), streamed = non-streamed, n and
// several prompts, no leaked KV block; max_tokens 0 without echo (or on chat) stays a 400.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type OpenAI from 'openai';
import { assertNoLeakedBlocks, assertOpenAiError, mergeCompletionChunks, MODEL, mockServerForSuite, rawPost } from './gateway-support.js';

const PROMPT = 'Once upon a time';

/** Sum of a metric's samples in the gateway's /metrics text. */
async function metricSum(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((s, l) => s + Number(l.split(' ').at(-1)), 0);
}

describe('completions echo with max_tokens 0 (mock runner)', () => {
  const suite = mockServerForSuite();

  test('the prompt alone, finish_reason length, 0 completion tokens; logprobs = the echo path\'s; no output token counted', async () => {
    const { openai, server } = suite;
    const outputBefore = await metricSum(server.url, 'dynamo_frontend_output_tokens_total');
    const ttftBefore = await metricSum(server.url, 'dynamo_frontend_time_to_first_token_seconds_count');
    const prompts = [PROMPT, 'The cat sat'];
    const zero = await openai.completions.create({ model: MODEL, prompt: prompts, n: 2, max_tokens: 0, echo: true });
    assert.equal(zero.choices.length, 4);
    for (const c of zero.choices) {
      assert.equal(c.text, prompts[Math.floor(c.index / 2)]);
      assert.equal(c.finish_reason, 'length');
      assert.equal(c.logprobs, null);
    }
    assert.equal(zero.usage!.completion_tokens, 0);
    assert.ok(zero.usage!.prompt_tokens > 0);
    assert.equal(zero.usage!.total_tokens, zero.usage!.prompt_tokens);
    assert.equal(await metricSum(server.url, 'dynamo_frontend_output_tokens_total'), outputBefore, 'no output token counted');
    assert.equal(await metricSum(server.url, 'dynamo_frontend_time_to_first_token_seconds_count'), ttftBefore, 'no first token timed');
    assert.equal(await metricSum(server.url, 'dynamo_frontend_inflight_requests'), 0);
    assert.equal(await metricSum(server.url, 'dynamo_frontend_queued_requests'), 0);

    const scored = await openai.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 0, echo: true, logprobs: 2 });
    const withOne = await openai.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 1, echo: true, logprobs: 2, temperature: 0 });
    const lp = scored.choices[0]!.logprobs!, one = withOne.choices[0]!.logprobs!;
    const numPrompt = scored.usage!.prompt_tokens;
    assert.equal(lp.tokens!.length, numPrompt);
    assert.equal(lp.token_logprobs![0], null);
    assert.deepEqual(lp.tokens, one.tokens!.slice(0, numPrompt));
    assert.deepEqual(lp.token_logprobs, one.token_logprobs!.slice(0, numPrompt));
    assert.deepEqual(lp.top_logprobs, one.top_logprobs!.slice(0, numPrompt));
    assert.deepEqual(lp.text_offset, one.text_offset!.slice(0, numPrompt));
    assert.equal(scored.choices[0]!.text, PROMPT);
    assert.equal(await metricSum(server.url, 'dynamo_frontend_output_tokens_total'), outputBefore + 1, 'only the max_tokens 1 request generated');
    await assertNoLeakedBlocks(server);
  });

  test('streamed: the prompt then a length finish; merged chunks equal the whole response; with prompt_logprobs too', async () => {
    const { openai, server } = suite;
    const body = { model: MODEL, prompt: PROMPT, max_tokens: 0, echo: true, logprobs: 1 };
    const whole = await openai.completions.create(body);
    const chunks: OpenAI.Completions.Completion[] = [];
    for await (const chunk of await openai.completions.create({ ...body, stream: true })) chunks.push(chunk);
    assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, 'length');
    const merged = mergeCompletionChunks(chunks)[0]!;
    assert.equal(merged.text, PROMPT);
    assert.deepEqual(merged.logprobs, whole.choices[0]!.logprobs);
    const raw = await openai.completions.create({ ...body, prompt_logprobs: 1 } as never) as unknown as { choices: { prompt_logprobs: unknown[] }[] };
    assert.equal(raw.choices[0]!.prompt_logprobs.length, whole.usage!.prompt_tokens);
    await assertNoLeakedBlocks(server);
  });

  test('max_tokens 0 without echo, on chat, or with min_tokens stays a 400 naming the field', async () => {
    const { server } = suite;
    const cases: [string, object, string][] = [
      ['/v1/completions', { prompt: PROMPT, max_tokens: 0 }, 'max_tokens'],
      ['/v1/completions', { prompt: PROMPT, max_tokens: 0, echo: false }, 'max_tokens'],
      ['/v1/completions', { prompt: PROMPT, max_tokens: 0, echo: true, min_tokens: 1 }, 'min_tokens'],
      ['/v1/chat/completions', { messages: [{ role: 'user', content: PROMPT }], max_tokens: 0 }, 'max_tokens'],
    ];
    for (const [path, body, param] of cases) {
      const error = assertOpenAiError(await rawPost(server.url, path, JSON.stringify({ model: MODEL, ...body })), 400);
      assert.equal(error.param, param, JSON.stringify(body));
    }
    await assertNoLeakedBlocks(server);
  });

  test('max_completion_tokens wins over max_tokens: 0, as it does for the length (no 400)', async () => {
    const { openai } = suite;
    const chat = await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: PROMPT }], max_tokens: 0, max_completion_tokens: 3 });
    assert.equal(chat.usage!.completion_tokens, 3);
    const completion = await openai.completions.create({ model: MODEL, prompt: PROMPT, max_tokens: 0, max_completion_tokens: 2 } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(completion.usage!.completion_tokens, 2);
  });
});
