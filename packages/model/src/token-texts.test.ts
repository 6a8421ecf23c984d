import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { defaultModelDir, smollm2ShapeDir } from './load-model.js';
import { loadTokenizer, type ModelTokenizer } from './model-tokenizer.js';

async function tokenizerAt(dir: string): Promise<ModelTokenizer> {
  const r = await loadTokenizer(dir);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

/** The detokenizer fed ids one by one then flushed emits exactly the UTF-8 decoding of the concatenated token bytes. */
function assertDetokenizerDecodesBytes(t: ModelTokenizer, numRuns: number): void {
  const bytes = t.tokenBytes();
  const usable = bytes.flatMap((b, id) => (b === null ? [] : [id]));
  const texts = t.tokenTexts();
  const partial = usable.filter((id) => texts[id] === null);
  assert.ok(partial.length > 0, 'some tokens are partial UTF-8');
  const prompts = [t.encode('Once upon a time'), t.encode('{"name": "Tom", "age"', { addSpecialTokens: false })];
  const pick = fc.oneof(fc.constantFrom(...usable), fc.constantFrom(...partial));
  fc.assert(
    fc.property(fc.array(pick, { minLength: 1, maxLength: 12 }), fc.nat(prompts.length - 1), (ids, p) => {
      const detokenizer = t.createDetokenizer(prompts[p]!);
      const out = ids.map((id) => detokenizer.push([id])).join('') + detokenizer.flush();
      const concatenated = Uint8Array.from(ids.flatMap((id) => [...bytes[id]!]));
      assert.equal(out, new TextDecoder().decode(concatenated), JSON.stringify(ids));
    }),
    { numRuns, seed: 43 },
  );
}

/** Whole characters split into the tokens the tokenizer picks still concatenate to their UTF-8. */
function assertEncodedBytes(t: ModelTokenizer, text: string): void {
  const bytes = t.tokenBytes();
  const ids = t.encode(text, { addSpecialTokens: false });
  const concatenated = Uint8Array.from(ids.flatMap((id) => [...bytes[id]!]));
  assert.equal(new TextDecoder().decode(concatenated).trimStart(), text);
}

/** The detokenizer fed ids one by one then flushed emits exactly the concatenated token texts. */
function assertDetokenizerConcatenates(t: ModelTokenizer, numRuns: number): void {
  const texts = t.tokenTexts();
  const usable = texts.flatMap((text, id) => (text === null ? [] : [id]));
  const prompts = [t.encode('Once upon a time'), t.encode('{"name": "Tom", "age"', { addSpecialTokens: false })];
  fc.assert(
    fc.property(fc.array(fc.nat(usable.length - 1), { minLength: 1, maxLength: 12 }), fc.nat(prompts.length - 1), (picks, p) => {
      const ids = picks.map((i) => usable[i]!);
      const detokenizer = t.createDetokenizer(prompts[p]!);
      const out = ids.map((id) => detokenizer.push([id])).join('') + detokenizer.flush();
      assert.equal(out, ids.map((id) => texts[id]).join(''));
    }),
    { numRuns, seed: 42 },
  );
}

describe('tokenTexts on stories260K (SentencePiece, llama2.c vocab)', { skip: existsSync(defaultModelDir()) ? false : `no model at ${defaultModelDir()}` }, () => {
  test('leading-space pieces keep their space; BOS/EOS and partial-UTF-8 byte tokens are null', async () => {
    const t = await tokenizerAt(defaultModelDir());
    const texts = t.tokenTexts();
    assert.equal(texts.length, t.vocabSize);
    assert.equal(texts[403], ' Once');
    assert.equal(texts[1], null);
    assert.equal(texts[2], null);
    const byteFF = t.encode('\u00ff', { addSpecialTokens: false }).at(-1)!;
    assert.equal(texts[byteFF], null, 'a lone byte of a multi-byte character');
    assert.ok(texts.every((x) => x === null || (x !== '' && !x.includes('\uFFFD'))));
  });

  test('a detokenizer emits exactly the concatenation of the token texts', async () => {
    assertDetokenizerConcatenates(await tokenizerAt(defaultModelDir()), 300);
  });

  test('tokenBytes: <0xNN> pieces are their byte, texts are UTF-8, specials null; a detokenizer decodes the bytes', async () => {
    const t = await tokenizerAt(defaultModelDir());
    const bytes = t.tokenBytes();
    assert.deepEqual(bytes[403], new TextEncoder().encode(' Once'));
    assert.deepEqual(bytes[t.encode('\u00ff', { addSpecialTokens: false }).at(-1)!], Uint8Array.of(0xbf));
    assert.equal(bytes[1], null);
    for (const text of ['日本', 'café 😀']) assertEncodedBytes(t, text);
    assertDetokenizerDecodesBytes(t, 300);
  });
});

describe('tokenTexts on SmolLM2 (byte-level BPE, 49152 tokens)', { skip: existsSync(smollm2ShapeDir()) ? false : `no tokenizer at ${smollm2ShapeDir()}` }, () => {
  test("'Ġthe' is ' the', special tokens are null, complete characters are kept", async () => {
    const t = await tokenizerAt(smollm2ShapeDir());
    const texts = t.tokenTexts();
    const [the] = t.encode(' the', { addSpecialTokens: false });
    assert.equal(texts[the!], ' the');
    for (const special of [0, 1, 2]) assert.equal(texts[special], null);
    assert.ok(texts.filter((x) => x !== null).length > 48_000);
    assert.ok(texts.some((x) => x !== null && /[^\x00-\x7f]/.test(x)), 'some non-ASCII tokens survive');
  });

  test('a detokenizer emits exactly the concatenation of the token texts', async () => {
    assertDetokenizerConcatenates(await tokenizerAt(smollm2ShapeDir()), 300);
  });

  test("tokenBytes: 'Ġthe' is ' the', partial pieces keep their bytes, specials null; a detokenizer decodes the bytes", async () => {
    const t = await tokenizerAt(smollm2ShapeDir());
    const bytes = t.tokenBytes();
    assert.deepEqual(bytes[t.encode(' the', { addSpecialTokens: false })[0]!], new TextEncoder().encode(' the'));
    for (const special of [0, 1, 2]) assert.equal(bytes[special], null);
    const texts = t.tokenTexts();
    assert.ok(texts.every((x, id) => x === null || new TextDecoder().decode(bytes[id]!) === x), 'texts are the bytes decoded');
    assert.ok(bytes.filter((b) => b !== null).length > texts.filter((x) => x !== null).length, 'partial pieces have bytes');
    for (const text of ['日本', 'café 😀', '🦀']) assertEncodedBytes(t, text);
    assertDetokenizerDecodesBytes(t, 300);
  });
});
