// Structured outputs over the real vocabularies (stories260K's byte-fallback SentencePiece, SmolLM2's byte-level
// BPE): random walks that pick uniformly among the allowed tokens until the constraint ends always detokenize — through
// the same IncrementalDetokenizer the gateway streams with — to text that equals the UTF-8 decoding of the walked tokens'
// bytes and satisfies the schema / regex / choice. This is the end-to-end guarantee: grammar-valid tokens are
// grammar-valid client text, including characters no single token spells (byte tokens / partial-UTF-8 pieces).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { defaultModelDir, loadTokenizer, smollm2ShapeDir, type ModelTokenizer } from '@mini-dynamo/model';
import { isTokenAllowed, type StructuredOutputSpec, type TokenConstraintFactory } from '@mini-dynamo/protocol';
import { createTokenConstraintFactory } from '@mini-dynamo/structured-output';

/** Every spec is bounded, so a uniform walk ends within a few hundred tokens. */
const CASES: { name: string; spec: StructuredOutputSpec; check: (text: string) => boolean }[] = [
  {
    name: 'object with enum, bounded string, integer range, boolean, bounded array',
    spec: { kind: 'json', schema: {
      type: 'object',
      properties: {
        kind: { enum: ['cat', 'dog', 'a "quoted" one'] }, name: { type: 'string', maxLength: 6 }, age: { type: 'integer', minimum: -3, maximum: 120 },
        ok: { type: 'boolean' }, tags: { type: 'array', items: { type: 'string', maxLength: 3 }, maxItems: 2 },
      },
      required: ['kind', 'name', 'age'],
    } },
    check: (t) => {
      const v = JSON.parse(t) as Record<string, unknown>;
      const age = v['age'] as number;
      return ['cat', 'dog', 'a "quoted" one'].includes(v['kind'] as string) && [...(v['name'] as string)].length <= 6
        && Number.isInteger(age) && age >= -3 && age <= 120 && (!('tags' in v) || (v['tags'] as string[]).length <= 2);
    },
  },
  { name: 'date format', spec: { kind: 'json', schema: { type: 'string', format: 'date' } }, check: (t) => /^"\d{4}-\d{2}-\d{2}"$/.test(t.trim()) && !Number.isNaN(Date.parse(JSON.parse(t) as string)) },
  { name: 'regex', spec: { kind: 'regex', pattern: '[a-z]{1,5}@[a-z]{2,4}\\.(com|org)' }, check: (t) => /^[a-z]{1,5}@[a-z]{2,4}\.(com|org)$/.test(t) },
  { name: 'choice with shared prefixes', spec: { kind: 'choice', choices: ['yes', 'yes!', 'no way', 'no'] }, check: (t) => ['yes', 'yes!', 'no way', 'no'].includes(t) },
  {
    name: 'enum with CJK and an accent (byte tokens needed)',
    spec: { kind: 'json', schema: { type: 'object', properties: { place: { enum: ['日本', 'café'] } }, required: ['place'] } },
    check: (t) => ['日本', 'café'].includes((JSON.parse(t) as Record<string, unknown>)['place'] as string),
  },
  { name: 'choice with emoji (byte tokens needed)', spec: { kind: 'choice', choices: ['🦀 crab', '日本', '🦀🦀'] }, check: (t) => ['🦀 crab', '日本', '🦀🦀'].includes(t) },
];

/** Characters that no single token of either real vocabulary spells whole (checked, so the cases above need bytes). */
const UNSPELLED = ['日', '🦀'];

/** A walk: uniform picks among allowed tokens (seeded) until EOS or the constraint terminates; the ids without EOS. */
function walk(factory: TokenConstraintFactory, spec: StructuredOutputSpec, eos: readonly number[], vocabSize: number, seed: number): number[] {
  const made = factory.create(spec);
  assert.ok(made.ok, JSON.stringify(made));
  const c = made.value;
  let state = seed >>> 0;
  const ids: number[] = [];
  for (let step = 0; step < 400; step++) {
    const mask = c.allowedTokenMask();
    const allowed: number[] = [];
    for (let id = 0; id < vocabSize; id++) if (isTokenAllowed(mask, id)) allowed.push(id);
    assert.ok(allowed.length > 0, `dead end after ${ids.length} tokens`);
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const id = allowed[state % allowed.length]!;
    assert.ok(c.accept(id));
    if (eos.includes(id)) return ids;
    ids.push(id);
    if (c.isTerminated) return ids;
  }
  assert.fail('the walk did not end within 400 tokens');
}

function runOn(label: string, dir: string, numWalks: number): void {
  describe(`structured outputs over ${label}'s vocabulary`, { skip: existsSync(dir) ? false : `no model at ${dir}` }, () => {
    let tokenizer: ModelTokenizer;
    let factory: TokenConstraintFactory;
    let bytes: (Uint8Array | null)[];
    test('setup: the worker-side factory over tokenBytes()', async () => {
      const t = await loadTokenizer(dir);
      assert.ok(t.ok);
      tokenizer = t.value;
      bytes = tokenizer.tokenBytes();
      factory = createTokenConstraintFactory({ tokenBytes: bytes, eosTokenIds: tokenizer.eosTokenIds });
      const texts = tokenizer.tokenTexts();
      for (const ch of UNSPELLED) assert.ok(!texts.some((x) => x !== null && x.includes(ch)), `no token spells ${ch}`);
    });
    for (const { name, spec, check } of CASES) {
      test(`${name}: ${numWalks} random walks detokenize to valid text`, () => {
        const prompt = tokenizer.encode('Once upon a time');
        const outputs: string[] = [];
        for (let seed = 1; seed <= numWalks; seed++) {
          const ids = walk(factory, spec, tokenizer.eosTokenIds, bytes.length, seed);
          const detok = tokenizer.createDetokenizer(prompt);
          const text = detok.push(ids) + detok.flush();
          const walked = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(ids.flatMap((id) => [...bytes[id]!])));
          assert.equal(text, walked, 'the client text is the walked tokens\' bytes, whole UTF-8');
          assert.ok(check(text), `${name}: ${JSON.stringify(text)}`);
          outputs.push(text);
        }
        if (name.includes('byte tokens needed')) assert.ok(outputs.some((t) => UNSPELLED.some((ch) => t.includes(ch))), outputs.join(' | '));
      });
    }
  });
}

runOn('stories260K', defaultModelDir(), 25);
runOn('SmolLM2', smollm2ShapeDir(), 6);
