// vLLM's POST /tokenize, POST /detokenize and GET /version on a real gateway (mock-runner workers,
// the stories260K tokenizer): counts agree with what the completion APIs bill, round trips, bad input.

import { describe, test } from 'node:test';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { ServerHandle } from '@mini-dynamo/gateway';
import { smollm2ShapeDir } from '@mini-dynamo/model';
import { assertOpenAiError, client, MODEL, mockServer, mockServerForSuite, rawPost } from './gateway-support.js';

// A ChatML template (SmolLM2-135M-Instruct's kind): the folder here ships no tokenizer_config.json.
const CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
const TEXT = 'Once upon a time, there was a little dog named Max.';

interface Tokenized { count: number; max_model_len: number | null; tokens: number[]; token_strs: null }

async function post<T>(server: ServerHandle, path: string, body: unknown): Promise<T> {
  const reply = await rawPost(server.url, path, JSON.stringify(body));
  assert.equal(reply.status, 200, reply.body);
  return JSON.parse(reply.body) as T;
}

describe('tokenizer endpoints (mock runner, stories260K tokenizer)', () => {
  const suite = mockServerForSuite();

  test('POST /tokenize counts the prompt tokens /v1/completions bills, and /detokenize gives the text back', async () => {
    const tokenized = await post<Tokenized>(suite.server, '/tokenize', { model: MODEL, prompt: TEXT });
    const completion = await suite.openai.completions.create({ model: MODEL, prompt: TEXT, max_tokens: 1 });
    assert.equal(tokenized.count, completion.usage!.prompt_tokens);
    assert.equal(tokenized.tokens.length, tokenized.count);
    assert.equal(tokenized.tokens[0], 1, 'BOS first (add_special_tokens defaults to true)');
    assert.ok(tokenized.max_model_len! > 0);
    const bare = await post<Tokenized>(suite.server, '/tokenize', { prompt: TEXT, add_special_tokens: false });
    assert.deepEqual(bare.tokens, tokenized.tokens.slice(1), 'without special tokens: the same ids minus BOS');
    const { prompt } = await post<{ prompt: string }>(suite.server, '/detokenize', { model: MODEL, tokens: bare.tokens });
    assert.equal(prompt, TEXT);
  });

  test('chat messages go through the chat template, as /v1/chat/completions does', async () => {
    const messages = [{ role: 'user' as const, content: 'Tell me a story about a cat.' }];
    const tokenized = await post<Tokenized>(suite.server, '/tokenize', { messages });
    const chat = await suite.openai.chat.completions.create({ model: MODEL, messages, max_tokens: 1 });
    assert.equal(tokenized.count, chat.usage!.prompt_tokens);
  });

  test('add_generation_prompt with a ChatML template (SmolLM2 tokenizer + a tokenizer_config.json): the assistant header is appended', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'md-tokenize-'));
    for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(smollm2ShapeDir(), f), join(dir, f));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ chat_template: CHATML, bos_token: '<|im_start|>', eos_token: '<|im_end|>' }));
    const smol = await mockServer({ modelDir: dir, numWorkers: 1, servedModelName: 'smol' });
    try {
      const messages = [{ role: 'user', content: 'Tell me a story about a cat.' }];
      const withPrompt = await post<Tokenized>(smol, '/tokenize', { messages });
      const chat = await client(smol).chat.completions.create({ model: 'smol', messages: [{ role: 'user', content: messages[0]!.content }], max_tokens: 1 });
      assert.equal(withPrompt.count, chat.usage!.prompt_tokens);
      const without = await post<Tokenized>(smol, '/tokenize', { messages, add_generation_prompt: false });
      assert.deepEqual(withPrompt.tokens.slice(0, without.count), without.tokens);
      const { prompt: header } = await post<{ prompt: string }>(smol, '/detokenize', { tokens: withPrompt.tokens.slice(without.count) });
      assert.equal(header, 'assistant\n', 'the generation prompt is the assistant header (special tokens skipped)');
    } finally {
      await smol.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('GET /version answers', async () => {
    const res = await fetch(`${suite.server.url}/version`);
    assert.equal(res.status, 200);
    assert.match(((await res.json()) as { version: string }).version, /^\d+\.\d+\.\d+/);
  });

  test('bad input: OpenAI-shaped 400s and 404s, nothing else happens', async () => {
    const cases: [string, unknown, number, string | null][] = [
      ['/tokenize', {}, 400, null],
      ['/tokenize', { prompt: 42 }, 400, null],
      ['/tokenize', { prompt: 'x', messages: [] }, 400, null],
      ['/tokenize', { model: 'gpt-4', prompt: 'x' }, 404, 'model'],
      ['/detokenize', { tokens: [1, -3] }, 400, null],
      ['/detokenize', { tokens: [1, 999_999] }, 400, 'tokens'],
      ['/detokenize', { prompt: 'x' }, 400, null],
    ];
    for (const [path, body, status, param] of cases) {
      const error = assertOpenAiError(await rawPost(suite.server.url, path, JSON.stringify(body)), status);
      if (param !== null) assert.equal(error.param, param, `${path} ${JSON.stringify(body)}`);
    }
    assertOpenAiError(await rawPost(suite.server.url, '/tokenize', '{not json'), 400);
    const wrongMethod = await fetch(`${suite.server.url}/tokenize`);
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
  });
});
