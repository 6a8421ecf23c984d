import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isTokenAllowed, type StructuredOutputSpec } from '@mini-dynamo/protocol';
import { compileStructuredOutput } from './compile.js';
import { MatchState } from './match-state.js';
import { createTokenConstraintFactory } from './token-constraint.js';
import { allowedIds, randomWalk, SYNTHETIC_EOS, SYNTHETIC_TEXTS, SYNTHETIC_VOCAB, syntheticFactory } from './synthetic-vocab.js';

const idOf = (text: string): number => SYNTHETIC_TEXTS.indexOf(text);
const NUM_IDS = SYNTHETIC_EOS + 1;

function constraintFor(spec: StructuredOutputSpec, factory = syntheticFactory) {
  const r = factory.create(spec);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

/** The mask by definition: each token's whole text checked from the state after `prefix`. */
function bruteForceMask(spec: StructuredOutputSpec, prefix: string): number[] {
  const grammar = compileStructuredOutput(spec);
  assert.ok(grammar.ok);
  const state = MatchState.initial(grammar.value.root).stepText(prefix)!;
  return Array.from({ length: NUM_IDS }, (_, id) => id).filter((id) => {
    if (id === SYNTHETIC_EOS) return state.isAccepting;
    const text = SYNTHETIC_TEXTS[id];
    return text !== null && text !== undefined && text !== '' && state.stepText(text) !== null;
  });
}

const SPECS: StructuredOutputSpec[] = [
  { kind: 'json', schema: null },
  { kind: 'json', schema: { type: 'object', properties: { name: { type: 'string', maxLength: 3 }, age: { type: 'integer' } }, required: ['name'] } },
  { kind: 'regex', pattern: '(ab|a)*c?\\d{1,3}' },
  { kind: 'choice', choices: ['yes', 'yes!', 'no', 'nothing'] },
];

test('the trie-walk mask equals the token-by-token definition along random walks', () => {
  fc.assert(
    fc.property(fc.constantFrom(...SPECS), fc.integer(), fc.nat(30), (spec, seed, cut) => {
      const text = randomWalk(spec, seed, 30).text;
      const prefix = text.slice(0, Math.min(cut, text.length));
      const fresh = createTokenConstraintFactory(SYNTHETIC_VOCAB);
      const c = constraintFor(spec, fresh);
      const ok = [...prefix].every((ch) => c.accept(idOf(ch)));
      fc.pre(ok);
      assert.deepEqual(allowedIds(c.allowedTokenMask(), NUM_IDS), bruteForceMask(spec, prefix), JSON.stringify(prefix));
    }),
    { numRuns: 120, seed: 13 },
  );
});

test('a memoised mask equals a cold one, and callers cannot corrupt the memo', () => {
  const spec = SPECS[1]!;
  const warm = constraintFor(spec);
  for (const ch of '{"name":"') assert.ok(warm.accept(idOf(ch)));
  const first = warm.allowedTokenMask();
  assert.ok(warm.accept(idOf('a')));
  first.fill(0);
  const memo = warm.allowedTokenMask();
  const cold = constraintFor(spec, createTokenConstraintFactory(SYNTHETIC_VOCAB));
  for (const ch of '{"name":"a') assert.ok(cold.accept(idOf(ch)));
  assert.deepEqual(memo, cold.allowedTokenMask());
  assert.ok(allowedIds(memo, NUM_IDS).length > 50, 'inside a string most tokens are allowed');
});

test('accept() refuses a disallowed token and changes nothing', () => {
  const c = constraintFor(SPECS[1]!);
  assert.ok(c.accept(idOf('{"')));
  const before = c.allowedTokenMask();
  for (const bad of [idOf('}}'), idOf('1'), 0, 1, SYNTHETIC_EOS, SYNTHETIC_TEXTS.length - 1, 10_000]) {
    assert.equal(c.accept(bad), false, `token ${bad}`);
    assert.deepEqual(c.allowedTokenMask(), before);
  }
  assert.ok(c.accept(idOf('name')));
});

test('choice: prefix-sharing choices allow EOS and the continuation; walks give a choice', () => {
  const spec = SPECS[3]!;
  const c = constraintFor(spec);
  assert.ok(c.accept(idOf('yes')));
  const mask = c.allowedTokenMask();
  assert.deepEqual(allowedIds(mask, NUM_IDS), [idOf('!'), SYNTHETIC_EOS]);
  assert.equal(c.isTerminated, false);
  assert.ok(c.accept(idOf('!')));
  assert.equal(c.isTerminated, true);
  assert.deepEqual(allowedIds(c.allowedTokenMask(), NUM_IDS), [SYNTHETIC_EOS]);
  for (let seed = 0; seed < 50; seed++) assert.ok(['yes', 'yes!', 'no', 'nothing'].includes(randomWalk(spec, seed).text));
});

test('EOS is allowed exactly when complete; after EOS nothing is accepted', () => {
  const c = constraintFor({ kind: 'json', schema: { type: 'integer' } });
  assert.ok(!isTokenAllowed(c.allowedTokenMask(), SYNTHETIC_EOS));
  assert.ok(c.accept(idOf('12')));
  assert.ok(isTokenAllowed(c.allowedTokenMask(), SYNTHETIC_EOS));
  assert.equal(c.isTerminated, false, 'more digits may follow');
  assert.ok(c.accept(SYNTHETIC_EOS));
  assert.equal(c.isTerminated, true);
  assert.equal(c.accept(idOf('1')), false);
  assert.deepEqual(allowedIds(c.allowedTokenMask(), NUM_IDS), []);
});

test('a finished JSON value terminates; the mask has EOS ids beyond tokenTexts', () => {
  const factory = createTokenConstraintFactory({ tokenTexts: ['{', '}', ' ', '{}'], eosTokenIds: [40] });
  const c = factory.create({ kind: 'json', schema: { type: 'object' } });
  assert.ok(c.ok);
  assert.deepEqual(allowedIds(c.value.allowedTokenMask(), 41), [0, 2, 3]);
  assert.ok(c.value.accept(3));
  assert.equal(c.value.isTerminated, true);
  assert.deepEqual(allowedIds(c.value.allowedTokenMask(), 41), [40]);
});

test('create() returns compile errors', () => {
  const r = syntheticFactory.create({ kind: 'regex', pattern: '(a' });
  assert.ok(!r.ok && r.error.code === 'invalid');
});
