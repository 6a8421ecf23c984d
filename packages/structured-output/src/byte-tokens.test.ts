import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTokenAllowed, type StructuredOutputSpec, type TokenConstraint } from '@mini-dynamo/protocol';
import { compileStructuredOutput } from './compile.js';
import { MatchState } from './match-state.js';
import { allowedIds, seededRandom } from './synthetic-vocab.js';
import { createTokenConstraintFactory } from './token-constraint.js';
import { stepPiece } from './token-index.js';

/** Byte-fallback style: printable ASCII, '\n', every byte 0x80..0xFF alone, and pieces that split characters. */
const ASCII = [...Array.from({ length: 0x7f - 0x20 }, (_, i) => [0x20 + i]), [0x0a]];
const HIGH_BYTES = Array.from({ length: 0x80 }, (_, i) => [0x80 + i]);
const SPLITTING = [[0xe6, 0x97], [0xa5, 0x22], [0xc3, 0xa9], [0xf0, 0x9f], [0x22, 0xe6], [0x9f, 0x98, 0x80]];
const PIECES = [...ASCII, ...HIGH_BYTES, ...SPLITTING].map((b) => Uint8Array.from(b));
const EOS = PIECES.length;
const NUM_IDS = EOS + 1;
const VOCAB = { tokenBytes: [...PIECES, null], eosTokenIds: [EOS] };
const factory = createTokenConstraintFactory(VOCAB);
const utf8 = new TextDecoder('utf-8', { fatal: true });
const byteId = (b: number): number => PIECES.findIndex((p) => p.length === 1 && p[0] === b);

function constraint(spec: StructuredOutputSpec): TokenConstraint {
  const r = factory.create(spec);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

const EMOJI_SCHEMA = { type: 'object', properties: { '日本': { enum: ['日本', 'café'] }, mood: { const: '😀', type: 'string' } }, required: ['日本', 'mood'] };
const SPECS: { spec: StructuredOutputSpec; valid: (text: string) => boolean }[] = [
  { spec: { kind: 'choice', choices: ['日本', 'café', '😀!', 'plain'] }, valid: (t) => ['日本', 'café', '😀!', 'plain'].includes(t) },
  { spec: { kind: 'regex', pattern: '[à-ÿ]{1,2}日?(😀|😂)' }, valid: (t) => /^[à-ÿ]{1,2}日?(😀|😂)$/u.test(t) },
  { spec: { kind: 'json', schema: EMOJI_SCHEMA }, valid: (t) => {
    const v = JSON.parse(t) as Record<string, unknown>;
    return ['日本', 'café'].includes(v['日本'] as string) && v['mood'] === '😀';
  } },
  { spec: { kind: 'json', schema: { type: 'array', items: { type: 'string', maxLength: 2 }, maxItems: 2 } }, valid: (t) => {
    const v = JSON.parse(t) as string[];
    return v.length <= 2 && v.every((s) => [...s].length <= 2);
  } },
  { spec: { kind: 'json', schema: { type: 'string', pattern: '^é{1,3}$' } }, valid: (t) => /^"é{1,3}"$/.test(t.trim()) },
];

/** Uniform picks among allowed tokens until EOS or termination; the bytes walked. */
function walkBytes(spec: StructuredOutputSpec, seed: number): number[] {
  const c = constraint(spec);
  const random = seededRandom(seed);
  const bytes: number[] = [];
  for (let step = 0; step < 200 && !c.isTerminated; step++) {
    const ids = allowedIds(c.allowedTokenMask(), NUM_IDS);
    assert.ok(ids.length > 0, `dead end after ${JSON.stringify(bytes)}`);
    const id = ids[Math.floor(random() * ids.length)]!;
    assert.ok(c.accept(id));
    if (id === EOS) return bytes;
    bytes.push(...PIECES[id]!);
  }
  assert.ok(c.isTerminated, 'bounded specs end within 200 tokens');
  return bytes;
}

test('random walks over byte tokens decode to valid UTF-8 that satisfies the spec', () => {
  fc.assert(
    fc.property(fc.nat(SPECS.length - 1), fc.integer(), (k, seed) => {
      const text = utf8.decode(Uint8Array.from(walkBytes(SPECS[k]!.spec, seed)));
      assert.ok(SPECS[k]!.valid(text), JSON.stringify(text));
    }),
    { numRuns: 150, seed: 21 },
  );
});

test('choice / enum / const / pattern / property names with 日本, é, an emoji are spelled by single bytes alone', () => {
  const cases: [StructuredOutputSpec, string][] = [
    [SPECS[0]!.spec, '日本'], [SPECS[0]!.spec, 'café'], [SPECS[0]!.spec, '😀!'],
    [SPECS[2]!.spec, '{"日本": "café", "mood": "😀"}'], [SPECS[4]!.spec, '"éé"'],
  ];
  for (const [spec, text] of cases) {
    const c = constraint(spec);
    for (const b of new TextEncoder().encode(text)) {
      assert.ok(isTokenAllowed(c.allowedTokenMask(), byteId(b)), `${text}: byte ${b.toString(16)} allowed`);
      assert.ok(c.accept(byteId(b)));
    }
    assert.ok(c.isTerminated || c.accept(EOS), text);
  }
});

test('pending bytes: no EOS, no termination; ill-formed UTF-8 is never allowed', () => {
  const c = constraint({ kind: 'choice', choices: ['é', 'e'] });
  assert.ok(c.accept(byteId(0xc3)));
  assert.equal(c.isTerminated, false);
  assert.deepEqual(allowedIds(c.allowedTokenMask(), NUM_IDS), [byteId(0xa9)]);
  assert.equal(c.accept(EOS), false);
  assert.ok(c.accept(byteId(0xa9)));
  assert.equal(c.isTerminated, true);
  const free = constraint({ kind: 'json', schema: { type: 'string' } });
  assert.ok(free.accept(byteId(0x22)));
  for (const bad of [0x80, 0xbf, 0xc0, 0xc1, 0xf5, 0xff]) assert.equal(free.accept(byteId(bad)), false, bad.toString(16));
  assert.ok(free.accept(byteId(0xed)));
  assert.equal(free.accept(byteId(0xa0)), false, 'a surrogate');
  assert.ok(free.accept(byteId(0x9f)));
});

test('the trie-walk mask equals the token-by-token definition, pending bytes included', () => {
  fc.assert(
    fc.property(fc.nat(SPECS.length - 1), fc.integer(), fc.nat(40), (k, seed, cut) => {
      const { spec } = SPECS[k]!;
      const prefix = walkBytes(spec, seed).slice(0, cut);
      const c = createTokenConstraintFactory(VOCAB).create(spec);
      assert.ok(c.ok);
      for (const b of prefix) assert.ok(c.value.accept(byteId(b)));
      const grammar = compileStructuredOutput(spec);
      assert.ok(grammar.ok);
      const state = stepPiece(MatchState.initial(grammar.value.root), String.fromCharCode(...prefix))!;
      const expected = PIECES.flatMap((p, id) => (stepPiece(state, String.fromCharCode(...p)) === null ? [] : [id]));
      assert.deepEqual(allowedIds(c.value.allowedTokenMask(), NUM_IDS), state.isAccepting ? [...expected, EOS] : expected);
    }),
    { numRuns: 80, seed: 5 },
  );
});
