// logprobs on the real stories260K model through the gateway and the official openai client: greedy from
// BOS, the mean −logprob of the 64 generated tokens equals the golden teacher-forced NLL (an independent
// float64 reference); under greedy each sampled token is its own top-1; streamed = non-streamed; chat's
// logprobs equal completions' on the same prompt ids.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { defaultModelDir, loadTokenizer } from '@mini-dynamo/model';
import { assertNoLeakedBlocks, mergeCompletionChunks, MODEL, readGolden, ortServerForSuite } from './gateway-support.js';

type ChatTokenLogprob = OpenAI.Chat.Completions.ChatCompletionTokenLogprob;

describe('gateway logprobs on the real model (ORT, stories260K)', () => {
  const suite = ortServerForSuite();
  const golden = readGolden();

  test('completions logprobs: 5, greedy from BOS: mean NLL = golden; sampled = top-1; streamed = non-streamed', async (t) => {
    const body = { model: MODEL, prompt: golden.prompt_ids, max_tokens: 64, temperature: 0, ignore_eos: true, logprobs: 5 } as OpenAI.CompletionCreateParamsNonStreaming;
    const result = await suite.openai.completions.create(body);
    const choice = result.choices[0]!;
    const lp = choice.logprobs!;
    assert.equal(lp.tokens!.length, 64);
    assert.equal(lp.tokens!.join(''), choice.text);
    const meanNll = -lp.token_logprobs!.reduce((s, x) => s + x, 0) / 64;
    t.diagnostic(`completions: mean NLL ${meanNll} (golden ${golden.mean_nll_teacher_forced})`);
    assert.ok(Math.abs(meanNll - golden.mean_nll_teacher_forced) < 1e-3, `${meanNll} vs ${golden.mean_nll_teacher_forced}`);
    lp.top_logprobs!.forEach((dict, i) => {
      const values = Object.values(dict);
      assert.ok(values.length >= 1 && values.length <= 6, JSON.stringify(dict)); // distinct strings of 5 alternatives + the sampled one
      assert.equal(lp.token_logprobs![i], Math.max(...values), `token ${i} is the greedy argmax`);
      assert.equal(dict[lp.tokens![i]!], lp.token_logprobs![i]);
    });

    const chunks: OpenAI.Completions.Completion[] = [];
    for await (const chunk of await suite.openai.completions.create({ ...body, stream: true })) chunks.push(chunk);
    const { text, logprobs: streamedLogprobs } = mergeCompletionChunks(chunks)[0]!;
    assert.equal(text, choice.text);
    assert.deepEqual(streamedLogprobs, lp);
  });

  test('chat logprobs: true, top_logprobs: 3: sampled = top-1, streamed = non-streamed, = completions on the same ids', async () => {
    const messages = [{ role: 'user' as const, content: 'Lily went to the park' }];
    const body = { model: MODEL, messages, max_tokens: 24, temperature: 0, logprobs: true, top_logprobs: 3 };
    const whole = await suite.openai.chat.completions.create(body);
    const content = whole.choices[0]!.logprobs!.content!;
    assert.equal(content.length, whole.usage!.completion_tokens);
    assert.equal(content.map((c) => c.token).join(''), whole.choices[0]!.message.content);
    for (const entry of content) {
      assert.equal(entry.top_logprobs.length, 3);
      assert.equal(entry.top_logprobs[0]!.logprob, entry.logprob, 'greedy: the sampled token is the most likely');
      assert.equal(entry.top_logprobs[0]!.token, entry.token);
      assert.ok(entry.top_logprobs[1]!.logprob <= entry.logprob && entry.top_logprobs[2]!.logprob <= entry.top_logprobs[1]!.logprob);
      assert.ok(entry.logprob <= 0);
    }
    const streamed: ChatTokenLogprob[] = [];
    for await (const chunk of await suite.openai.chat.completions.create({ ...body, stream: true })) streamed.push(...(chunk.choices[0]?.logprobs?.content ?? []));
    assert.deepEqual(streamed, content);

    const tokenizer = await loadTokenizer(defaultModelDir());
    assert.ok(tokenizer.ok);
    const promptIds = tokenizer.value.encodeChat(messages);
    const completion = await suite.openai.completions.create({ model: MODEL, prompt: promptIds, max_tokens: 24, temperature: 0, logprobs: 3 });
    assert.equal(whole.usage!.prompt_tokens, promptIds.length);
    assert.deepEqual(completion.choices[0]!.logprobs!.token_logprobs, content.map((c) => c.logprob));
    assert.deepEqual(completion.choices[0]!.logprobs!.tokens, content.map((c) => c.token));
    await assertNoLeakedBlocks(suite.server);
  });
});
