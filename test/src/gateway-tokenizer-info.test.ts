// vLLM's GET /tokenizer_info on a real gateway (mock-runner workers): the stories260K (llama2.c) tokenizer's config
// (special tokens, model_max_length, tokenizer_class) plus the chat template in use; an HF folder's
// tokenizer_config.json without its file paths and with AddedToken objects reduced to their content; behind the API key;
// off (a 404, as vLLM) unless the server runs with --enable-tokenizer-info-endpoint.

import { test } from 'node:test';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { FALLBACK_CHAT_TEMPLATE, smollm2ShapeDir } from '@mini-dynamo/model';
import { mockServer } from './gateway-support.js';

const CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}";

test('GET /tokenizer_info: the llama2.c tokenizer\'s config, tokenizer_class, the chat template in use', async () => {
  const server = await mockServer({ numWorkers: 1, enableTokenizerInfoEndpoint: true });
  try {
    const reply = await fetch(`${server.url}/tokenizer_info`);
    assert.equal(reply.status, 200);
    const info = await reply.json() as Record<string, unknown>;
    assert.deepEqual(
      [info['tokenizer_class'], info['bos_token'], info['eos_token'], info['unk_token'], info['model_max_length'], info['add_bos_token']],
      ['LlamaTokenizer', '<s>', '</s>', '<unk>', 512, true]);
    assert.equal(info['chat_template'], FALLBACK_CHAT_TEMPLATE);
    assert.equal((await fetch(`${server.url}/tokenizer_info`, { method: 'POST' })).status, 405);
  } finally {
    await server.close();
  }
});

test('GET /tokenizer_info of an HF folder: its tokenizer_config.json minus file paths, AddedTokens as content; needs the API key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokinfo-'));
  for (const f of ['config.json', 'tokenizer.json']) copyFileSync(join(smollm2ShapeDir(), f), join(dir, f));
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({
    chat_template: CHATML, vocab_file: 'vocab.json', merges_file: 'merges.txt',
    bos_token: { __type: 'AddedToken', content: '<|im_start|>', lstrip: false }, eos_token: '<|im_end|>',
    added_tokens_decoder: { 0: { content: '<|endoftext|>', special: true } }, additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
  }));
  const server = await mockServer({ modelDir: dir, numWorkers: 1, servedModelName: 'smol', apiKey: 'sekret', enableTokenizerInfoEndpoint: true });
  try {
    assert.equal((await fetch(`${server.url}/tokenizer_info`)).status, 401);
    const info = await (await fetch(`${server.url}/tokenizer_info`, { headers: { authorization: 'Bearer sekret' } })).json() as Record<string, unknown>;
    assert.equal(info['vocab_file'], undefined);
    assert.equal(info['merges_file'], undefined);
    assert.equal(info['bos_token'], '<|im_start|>');
    assert.equal(info['eos_token'], '<|im_end|>');
    assert.deepEqual(info['added_tokens_decoder'], { 0: '<|endoftext|>' });
    assert.deepEqual(info['additional_special_tokens'], ['<|im_start|>', '<|im_end|>']);
    assert.equal(info['chat_template'], CHATML);
    assert.equal(info['tokenizer_class'], 'PreTrainedTokenizerFast');
    assert.ok(typeof info['model_max_length'] === 'number' && info['model_max_length'] > 0, 'the served context length');
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without --enable-tokenizer-info-endpoint the route does not exist (404 for any method), as vLLM', async () => {
  const server = await mockServer({ numWorkers: 1 });
  try {
    for (const method of ['GET', 'POST']) {
      const reply = await fetch(`${server.url}/tokenizer_info`, { method });
      assert.equal(reply.status, 404, method);
      assert.equal((await reply.json() as { error: { code: string } }).error.code, 'route_not_found');
    }
  } finally {
    await server.close();
  }
});
