import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileStructuredOutput } from './compile.js';
import { acceptsText, randomWalk, seededRandom } from './synthetic-vocab.js';

/** A pattern with a sampler of strings it fully matches. */
interface Sampled {
  src: string;
  sample: (random: () => number) => string;
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const ATOMS: [string, string[]][] = [
  ['a', ['a']], ['b', ['b']], ['c', ['c']], ['\\.', ['.']], ['-', ['-']], ['é', ['é']], ['\\n', ['\n']],
  ['[a-c]', ['a', 'b', 'c']], ['[^ab]', ['c', 'é', '1', ' ', '"', '\n']], ['[\\d.]', ['0', '7', '.']], ['\\d', ['3', '9']],
  ['\\w', ['a', '_', 'Z', '9']], ['\\s', [' ', '\n', '\t']], ['\\W', [' ', '-', 'é', '"']], ['.', ['a', 'é', ' ', '"']],
  ['\\u0041', ['A']], ['\\x2d', ['-']], ['"', ['"']],
];
const QUANTIFIERS: [string, number, number][] = [
  ['', 1, 1], ['', 1, 1], ['*', 0, 3], ['+', 1, 3], ['?', 0, 1], ['{2}', 2, 2], ['{1,}', 1, 3], ['{0,2}', 0, 2],
  ['*?', 0, 3], ['+?', 1, 3], ['{1,3}?', 1, 3],
];
const atom: fc.Arbitrary<Sampled> = fc.constantFrom(...ATOMS).map(([src, chars]) => ({ src, sample: (r) => pick(r, chars) }));

/** Patterns nested at most `depth` groups deep (kept small: NFA simulation cost grows with pattern size). */
function regexOf(depth: number): fc.Arbitrary<Sampled> {
  const group = depth === 0 ? atom : fc.tuple(fc.constantFrom('(', '(?:'), regexOf(depth - 1))
    .map(([open, inner]): Sampled => ({ src: `${open}${inner.src})`, sample: inner.sample }));
  const piece = fc.tuple(fc.oneof(atom, group), fc.constantFrom(...QUANTIFIERS)).map(([a, [q, min, max]]): Sampled => ({
    src: a.src + q,
    sample: (r) => Array.from({ length: min + Math.floor(r() * (max - min + 1)) }, () => a.sample(r)).join(''),
  }));
  const sequence = fc.array(piece, { minLength: 1, maxLength: 3 })
    .map((pieces): Sampled => ({ src: pieces.map((p) => p.src).join(''), sample: (r) => pieces.map((p) => p.sample(r)).join('') }));
  return fc.array(sequence, { minLength: 1, maxLength: 2 })
    .map((seqs): Sampled => ({ src: seqs.map((p) => p.src).join('|'), sample: (r) => pick(r, seqs).sample(r) }));
}

const regexArb = regexOf(2);

const fullMatch = (pattern: string): RegExp => new RegExp(`^(?:${pattern})$`);
const regex = (pattern: string) => ({ kind: 'regex' as const, pattern });

test('membership agrees with RegExp full match on matching and random strings', () => {
  const strings = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '.', '-', 'é', '\n', '1', 'A', ' ', '"', '_'), maxLength: 6 });
  fc.assert(
    fc.property(regexArb, fc.integer(), strings, ({ src: p, sample }, seed, random) => {
      const matching = sample(seededRandom(seed));
      assert.ok(fullMatch(p).test(matching), `sampler: ${p} on ${JSON.stringify(matching)}`);
      assert.ok(acceptsText(regex(p), matching), `${p} refused ${JSON.stringify(matching)}`);
      assert.equal(acceptsText(regex(p), random), fullMatch(p).test(random), `${p} on ${JSON.stringify(random)}`);
    }),
    { numRuns: 400, seed: 3 },
  );
});

test('constrained random walks produce full matches', () => {
  fc.assert(
    // Depth 1: JS RegExp backtracks exponentially on deeper nested quantifiers (this engine does not).
    fc.property(regexOf(1), fc.integer(), ({ src: p }, seed) => {
      const walk = randomWalk(regex(p), seed, 20);
      assert.notEqual(walk.end, 'bound', `${p}: no completion found after ${JSON.stringify(walk.text)}`);
      assert.ok(fullMatch(p).test(walk.text), `${p} produced ${JSON.stringify(walk.text)} (${walk.end})`);
    }),
    { numRuns: 200, seed: 5 },
  );
});

test("'^' and '$' at the ends are no-ops; a phone number pattern", () => {
  assert.ok(acceptsText(regex('^\\d{3}-\\d{4}$'), '555-1234'));
  assert.ok(!acceptsText(regex('^\\d{3}-\\d{4}$'), '555-12345'));
  assert.ok(acceptsText(regex('^a|b$'), 'b'));
});

test('unsupported and invalid patterns are refused with a precise message', () => {
  const cases: [string, 'unsupported' | 'invalid', string][] = [
    ['(a', 'invalid', 'unterminated group'],
    ['a)', 'invalid', "unmatched ')'"],
    ['*a', 'invalid', 'nothing to repeat'],
    ['a**', 'invalid', 'nothing to repeat'],
    ['[z-a]', 'invalid', 'range out of order'],
    ['a{3,1}', 'invalid', 'numbers out of order'],
    ['[ab', 'invalid', 'unterminated character class'],
    ['a\\', 'invalid', 'lone backslash'],
    ['[]', 'invalid', 'matches no string'],
    ['(a)\\1', 'unsupported', 'backreference'],
    ['a(?=b)', 'unsupported', 'lookaround'],
    ['(?<n>a)', 'unsupported', 'named groups'],
    ['\\bword', 'unsupported', 'word boundary'],
    ['a^b', 'unsupported', "'^' is only supported at the start"],
    ['a$b', 'unsupported', "'$' is only supported at the end"],
    ['\\p{L}', 'unsupported', "escape '\\p'"],
    ['a{2', 'unsupported', "literal '{'"],
    ['a{1,99999}', 'unsupported', 'repetition bounds'],
  ];
  for (const [pattern, code, fragment] of cases) {
    const r = compileStructuredOutput(regex(pattern));
    assert.ok(!r.ok, pattern);
    assert.equal(r.error.code, code, `${pattern}: ${r.error.message}`);
    assert.ok(r.error.message.includes(fragment), `${pattern}: ${r.error.message}`);
  }
});
