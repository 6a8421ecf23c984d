import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultModelDir } from './load-model.js';
import { loadTokenizer } from './model-tokenizer.js';
import { parseLlama2cVocab, type Llama2cVocab } from './llama2c-tokenizer.js';

const dir = defaultModelDir();
const golden = JSON.parse(readFileSync(join(dir, 'golden_greedy_bos_64.json'), 'utf8')) as { greedy_ids_64: number[] };
const vocab = parseLlama2cVocab(readFileSync(join(dir, 'tok512.bin')), 'tok512.bin', 512);

/** A direct port of llama2.c's encode() (dummy prefix, byte fallback +3, best-score pair merges). */
function llama2cEncode(v: Llama2cVocab, text: string): number[] {
  const idOf = new Map(v.pieces.map((p, i) => [p, i] as const));
  const tokens: number[] = [];
  for (const ch of (text === '' ? '' : ' ' + text).replaceAll(' ', '▁')) {
    const id = idOf.get(ch);
    if (id !== undefined) tokens.push(id);
    else for (const b of Buffer.from(ch, 'utf8')) tokens.push(b + 3);
  }
  for (;;) {
    let best = -1e10, bestId = -1, bestIdx = -1;
    for (let i = 0; i + 1 < tokens.length; i++) {
      const id = idOf.get(v.pieces[tokens[i]!]! + v.pieces[tokens[i + 1]!]!);
      if (id !== undefined && v.scores[id]! > best) { best = v.scores[id]!; bestId = id; bestIdx = i; }
    }
    if (bestIdx === -1) return tokens;
    tokens.splice(bestIdx, 2, bestId);
  }
}

async function tok() {
  const r = await loadTokenizer(dir);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

test('converted tok512 decodes the golden ids to the recorded story', async () => {
  const t = await tok();
  assert.equal(t.vocabSize, 512);
  assert.equal(t.bosTokenId, 1);
  assert.deepEqual(t.eosTokenIds, [2]);
  assert.match(t.decode(golden.greedy_ids_64), /^Once upon a time, there was a little girl named Lily\. She loved to play outside in the park/);
});

test('encoding matches llama2.c: BOS + best-score merges + byte fallback', async () => {
  const t = await tok();
  assert.deepEqual(t.encode('Once upon a time'), [1, ...golden.greedy_ids_64.slice(0, 4)]);
  const texts = [
    'Once upon a time', 'Lily and Ben went to the park. They saw a big dog!', '  two  spaces', 'x',
    'Tim said, "I want the red ball." Mom smiled.\nThe end.', 'héllo wörld 😀 世界 ünïcödé', 'aaaaaaa bbbbbb the the the',
  ];
  for (const text of texts) {
    assert.deepEqual(t.encode(text, { addSpecialTokens: false }), llama2cEncode(vocab, text), text);
  }
});

test('text round-trips through encode/decode, special tokens skipped by default', async () => {
  const t = await tok();
  for (const text of ['Once upon a time, there was a cat.', 'emoji 😀 and 世界 via bytes', 'line\nbreak']) {
    assert.equal(t.decode(t.encode(text)), text);
  }
  assert.equal(t.decode([1, 403, 2], { skipSpecialTokens: false }), '<s> Once</s>');
});

test('fallback chat template continues the plain text for a base model', async () => {
  const t = await tok();
  assert.equal(t.hasChatTemplate, false);
  const msgs = [{ role: 'system', content: 'Stories.' }, { role: 'user', content: 'Once upon a time' }];
  assert.equal(t.applyChatTemplate(msgs), 'Stories.\nOnce upon a time');
  assert.deepEqual(t.encodeChat([msgs[1]!]), t.encode('Once upon a time'));
});
