import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultModelDir, smollm2ShapeDir } from './load-model.js';
import { loadTokenizer, type ModelTokenizer } from './model-tokenizer.js';
import { IncrementalDetokenizer } from './incremental-detokenizer.js';

const TEXTS = [
  'Once upon a time, there was a little girl named Lily.',
  'emoji 😀👍🏽 and CJK 世界你好 and accents é ü ñ, mixed: a😀b世c',
  '  leading spaces and\nnew lines\n\n  indented',
];

async function tokenizer(dir: string): Promise<ModelTokenizer> {
  const r = await loadTokenizer(dir);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

function streamed(t: ModelTokenizer, ids: number[], chunk: number, prompt: number[] = []): string[] {
  const d = t.createDetokenizer(prompt);
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += chunk) out.push(d.push(ids.slice(i, i + chunk)));
  out.push(d.flush());
  return out;
}

for (const [name, dir] of [['stories260K (byte fallback)', defaultModelDir()], ['smollm2 (byte level)', smollm2ShapeDir()]] as const) {
  test(`${name}: streamed text equals the full decode and never carries U+FFFD`, async () => {
    const t = await tokenizer(dir);
    for (const text of TEXTS) {
      const ids = t.encode(text, { addSpecialTokens: false });
      for (const chunk of [1, 2, 3]) {
        const parts = streamed(t, ids, chunk);
        assert.equal(parts.join(''), t.decode(ids), `${text} / chunk ${chunk}`);
        for (const p of parts) assert.ok(!p.includes('\uFFFD'), `broken UTF-8 emitted: ${JSON.stringify(p)}`);
      }
    }
  });

  test(`${name}: prompt context gives the first output token its leading space`, async () => {
    const t = await tokenizer(dir);
    const prompt = t.encode('Once upon a', { addSpecialTokens: false });
    const output = t.encode('Once upon a time there', { addSpecialTokens: false }).slice(prompt.length);
    assert.equal(streamed(t, output, 1, prompt).join(''), ' time there');
  });
}

test('multibyte characters split across byte tokens are held back until complete', async () => {
  const t = await tokenizer(defaultModelDir());
  const ids = t.encode('😀', { addSpecialTokens: false });
  assert.ok(ids.length >= 4, 'the emoji is spelt with byte-fallback tokens');
  const d = t.createDetokenizer();
  const parts = ids.map((id) => d.push([id]));
  assert.deepEqual(parts.slice(0, -1).filter((p) => p !== ''), [], 'nothing before the last byte');
  assert.equal(parts.join('').trim(), '😀');
});

test('flush emits an incomplete trailing character as U+FFFD once, at the end', () => {
  const bytes: Record<number, number[]> = { 1: [0x61], 2: [0xe4, 0xb8] };
  const decode = (ids: number[]) => Buffer.from(ids.flatMap((i) => bytes[i]!)).toString('utf8');
  const d = new IncrementalDetokenizer(decode);
  assert.equal(d.push([1]), 'a');
  assert.equal(d.push([2]), '');
  assert.equal(d.flush(), '\uFFFD');
  assert.equal(d.flush(), '');
});
