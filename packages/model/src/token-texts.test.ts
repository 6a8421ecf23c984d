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
});
