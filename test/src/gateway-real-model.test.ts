// The gateway serving the real stories260K model on ONNX Runtime (CPU) in worker threads, through
// the official openai client: greedy output equals the golden reference, streaming equals
// non-streaming, seeds reproduce, stop strings cut, logit_bias / min_tokens act, repeated prompts hit the prefix cache.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { defaultModelDir, loadTokenizer } from '@mini-dynamo/model';
import { assertNoLeakedBlocks, MODEL, readGolden, ortServerForSuite } from './gateway-support.js';

describe('gateway on the real model (ORT, stories260K)', () => {
  const suite = ortServerForSuite({ numWorkers: 2, numBlocks: 128 });

  test('greedy completion from BOS equals the golden float64 reference', async () => {
    const golden = readGolden();
    const tokenizer = await loadTokenizer(defaultModelDir());
    assert.ok(tokenizer.ok);
    const expected = tokenizer.value.decode(golden.greedy_ids_64);
    const result = await suite.openai.completions.create({ model: MODEL, prompt: [1], max_tokens: 64, temperature: 0, ignore_eos: true } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.equal(result.choices[0]!.text, expected);
    assert.match(result.choices[0]!.text, /^Once upon a time/);
    assert.equal(result.usage!.completion_tokens, 64);
  });

  test('streamed chat equals the non-streamed chat; usage is reported', async () => {
    const body = { model: MODEL, messages: [{ role: 'user' as const, content: 'Lily went to the park' }], max_tokens: 30, temperature: 0 };
    const whole = await suite.openai.chat.completions.create(body);
    const text = whole.choices[0]!.message.content!;
    assert.ok(/[a-z]+ [a-z]+/i.test(text), `fluent-ish text: ${text}`);
    const stream = await suite.openai.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let streamed = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? '';
      usage = chunk.usage ?? usage;
    }
    assert.equal(streamed, text);
    assert.equal(usage!.completion_tokens, whole.usage!.completion_tokens);
  });

  test('seeded sampling reproduces; n=2 gives seed and seed+1; stop strings cut', async () => {
    const body = { model: MODEL, prompt: 'The little dog', max_tokens: 24, temperature: 0.9, seed: 7, n: 2 };
    const a = await suite.openai.completions.create(body);
    const b = await suite.openai.completions.create(body);
    assert.deepEqual(a.choices.map((c) => c.text), b.choices.map((c) => c.text));
    assert.notEqual(a.choices[0]!.text, a.choices[1]!.text);
    const single = await suite.openai.completions.create({ ...body, n: 1, seed: 8 });
    assert.equal(single.choices[0]!.text, a.choices[1]!.text, 'choice 1 of seed 7 = seed 8');

    const greedy = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 40, temperature: 0 });
    const full = greedy.choices[0]!.text;
    const stop = full.trim().split(' ')[3]!;
    const cut = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 40, temperature: 0, stop });
    assert.equal(cut.choices[0]!.text, full.slice(0, full.indexOf(stop)));
    assert.equal(cut.choices[0]!.finish_reason, 'stop');
  });

  test('a story ends on its own (the model emits BOS, llama2.c\'s delimiter) instead of running to the context', async () => {
    const result = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon a time', seed: 1 });
    const choice = result.choices[0]!;
    assert.equal(choice.finish_reason, 'stop', choice.text);
    assert.ok(result.usage!.completion_tokens < 512 - result.usage!.prompt_tokens, `stopped early: ${result.usage!.completion_tokens} tokens`);
    assert.match(choice.text, /[.!"]\s*$/, 'the story ends at the end of a sentence');
  });

  test('logit_bias +100 makes greedy output that token; min_tokens keeps a story going past its own end', async () => {
    const biased = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon a time', max_tokens: 5, temperature: 0, logit_bias: { 300: 100 }, logprobs: 0 });
    const tokens = biased.choices[0]!.logprobs!.tokens!;
    assert.equal(tokens.length, 5);
    assert.equal(new Set(tokens).size, 1, JSON.stringify(tokens));
    const story = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon a time', seed: 1 });
    const numTokens = story.usage!.completion_tokens;
    assert.equal(story.choices[0]!.finish_reason, 'stop');
    const longer = await suite.openai.completions.create({ model: MODEL, prompt: 'Once upon a time', seed: 1, min_tokens: numTokens + 10 } as OpenAI.CompletionCreateParamsNonStreaming);
    assert.ok(longer.usage!.completion_tokens >= numTokens + 10, `${longer.usage!.completion_tokens} tokens, the story alone ${numTokens}`);
  });

  test('a repeated long prompt is served from the prefix cache', async () => {
    const prompt = 'Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends. '.repeat(2);
    const first = await suite.openai.completions.create({ model: MODEL, prompt, max_tokens: 8, temperature: 0 });
    await new Promise((r) => setTimeout(r, 50));
    const second = await suite.openai.completions.create({ model: MODEL, prompt, max_tokens: 8, temperature: 0 });
    assert.ok((second.usage!.prompt_tokens_details!.cached_tokens ?? 0) >= 32, JSON.stringify(second.usage));
    assert.equal(second.choices[0]!.text, first.choices[0]!.text);
    await assertNoLeakedBlocks(suite.server);
  });
});
