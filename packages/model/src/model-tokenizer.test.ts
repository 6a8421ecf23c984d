import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { smollm2ShapeDir, defaultModelDir, loadModelConfig } from './load-model.js';
import { loadTokenizer } from './model-tokenizer.js';
import { writeTinyModel } from './tiny-model.js';

const chat = [
  { role: 'system', content: 'You tell stories.' },
  { role: 'user', content: 'Tell me one.' },
];

test('tiny HF model: tokenizer.json + tokenizer_config.json chat template with bos/eos tokens', async () => {
  const tiny = await writeTinyModel();
  try {
    const r = await loadTokenizer(tiny.dir);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    const t = r.value;
    assert.equal(t.vocabSize, tiny.config.vocabSize);
    assert.equal(t.bosTokenId, 1);
    assert.deepEqual(t.eosTokenIds, [2]);
    assert.equal(t.hasChatTemplate, true);
    const text = t.applyChatTemplate(chat);
    assert.equal(text, '<s><|system|>\nYou tell stories.</s>\n<|user|>\nTell me one.</s>\n<|assistant|>\n');
    assert.ok(!t.applyChatTemplate(chat, { addGenerationPrompt: false }).endsWith('<|assistant|>\n'));
    const ids = t.encodeChat(chat);
    assert.equal(ids[0], 1);
    assert.notEqual(ids[1], 1, 'BOS written by the template is not added twice');
    assert.equal(ids.filter((id) => id === 2).length, 2, 'eos_token text encodes to the EOS id');
    // Legacy SentencePiece normalisation prepends '▁' to each text segment after a special token (as HF's legacy Llama).
    assert.equal(t.decode(ids, { skipSpecialTokens: false }), text.replace('<s>', '<s> ').replaceAll('</s>\n', '</s> \n'));
  } finally {
    await rm(tiny.dir, { recursive: true, force: true });
  }
});

test('smollm2 shape folder: real 49152-token byte-level tokenizer without tokenizer_config.json', async () => {
  const r = await loadTokenizer(smollm2ShapeDir());
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const t = r.value;
  assert.equal(t.vocabSize, 49152);
  assert.deepEqual(t.eosTokenIds, [2]);
  const text = 'Hello world! Ünïcödé 😀 世界';
  assert.equal(t.decode(t.encode(text)), text);
  assert.equal(t.applyChatTemplate([{ role: 'user', content: 'hi' }]), 'hi');
});

test('tokenizer and model config read BOS/EOS alike (an empty generation_config list falls back to config.json)', async () => {
  const tiny = await writeTinyModel(undefined, { config: { eosTokenIds: [2, 7] } });
  try {
    await writeFile(join(tiny.dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: [] }));
    const [tok, info] = [await loadTokenizer(tiny.dir), await loadModelConfig(tiny.dir)];
    assert.ok(tok.ok && info.ok);
    assert.deepEqual(info.value.config.eosTokenIds, [2, 7]);
    assert.deepEqual(tok.value.eosTokenIds, [2, 7]);
    assert.equal(tok.value.bosTokenId, info.value.config.bosTokenId);
  } finally {
    await rm(tiny.dir, { recursive: true, force: true });
  }
});

test('missing tokenizer files are missing_file errors naming the file', async () => {
  const tiny = await writeTinyModel();
  try {
    await unlink(join(tiny.dir, 'tokenizer.json'));
    const r = await loadTokenizer(tiny.dir);
    assert.ok(!r.ok && r.error.code === 'missing_file' && r.error.message.includes('tokenizer.json'));
  } finally {
    await rm(tiny.dir, { recursive: true, force: true });
  }
  const stories = await loadTokenizer(defaultModelDir());
  assert.ok(stories.ok);
});
