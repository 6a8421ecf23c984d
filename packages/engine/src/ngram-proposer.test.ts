// NgramProposer: prompt-lookup drafts — longest n first, most recent occurrence, never the suffix itself, a periodic
// continuation past the end (loops of any period give k drafts), none without a match — checked against a
// brute-force reference on random sequences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SpeculativeConfig } from '@mini-dynamo/protocol';
import { NgramProposer } from './ngram-proposer.js';

const config = (k: number, min: number, max: number): SpeculativeConfig =>
  ({ method: 'ngram', numSpeculativeTokens: k, promptLookupMin: min, promptLookupMax: max });

test('proposes the tokens that followed the last occurrence of the suffix', () => {
  const p = new NgramProposer(config(3, 1, 3));
  assert.deepEqual(p.propose([1, 2, 3, 4, 5, 9, 1, 2, 3]), [4, 5, 9]);
  assert.deepEqual(p.propose([1, 2, 3, 4, 5, 9, 1, 2, 3], 2), [4, 5], 'capped by maxDrafts');
});

test('the longest n wins over a more recent shorter match', () => {
  const p = new NgramProposer(config(2, 1, 3));
  // "2 3" occurs at the start followed by 7; "3" alone occurs later followed by 8.
  assert.deepEqual(p.propose([1, 2, 3, 7, 7, 3, 8, 8, 1, 2, 3]), [7, 7]);
  assert.deepEqual(new NgramProposer(config(2, 1, 1)).propose([1, 2, 3, 7, 7, 3, 8, 8, 1, 2, 3]), [8, 8], 'n capped at 1');
});

test('the most recent occurrence of the same n wins', () => {
  const p = new NgramProposer(config(2, 2, 2));
  assert.deepEqual(p.propose([5, 6, 1, 1, 5, 6, 2, 2, 0, 5, 6]), [2, 2]);
});

test('no self-match, no match below promptLookupMin, nothing for short sequences', () => {
  const p = new NgramProposer(config(3, 2, 4));
  assert.deepEqual(p.propose([1, 2, 3, 4]), []);
  assert.deepEqual(p.propose([1, 2, 9, 3, 2]), [], 'only a 1-gram matches, min is 2');
  assert.deepEqual(p.propose([7]), []);
  assert.deepEqual(p.propose([]), []);
  assert.deepEqual(p.propose([1, 2, 1, 2], 0), [], 'maxDrafts 0');
});

test('past the end the copy continues with the match distance as period: k drafts', () => {
  assert.deepEqual(new NgramProposer(config(5, 1, 2)).propose([4, 1, 2, 8, 1, 2]), [8, 1, 2, 8, 1], 'period 3');
  assert.deepEqual(new NgramProposer(config(5, 1, 3)).propose([3, 3, 3, 3]), [3, 3, 3, 3, 3], 'the latest earlier "3 3 3" is one back: period 1');
});

test('a one-token loop and a 3-token loop give k drafts for every k; maxDrafts still caps', () => {
  for (let k = 1; k <= 8; k++) {
    assert.deepEqual(new NgramProposer(config(k, 1, 4)).propose([9, 5, 7, 7, 7, 7, 7]), new Array(k).fill(7), `one-token loop, k=${k}`);
    const loop = new NgramProposer(config(k, 1, 4)).propose([9, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    assert.deepEqual(loop, Array.from({ length: k }, (_, i) => [1, 2, 3][i % 3]), `3-token loop, k=${k}`);
  }
  assert.deepEqual(new NgramProposer(config(8, 1, 4)).propose([5, 5, 5], 3), [5, 5, 5], 'capped by maxDrafts');
  assert.deepEqual(new NgramProposer(config(4, 2, 4)).propose([6, 1, 2, 1, 2]), [1, 2, 1, 2], 'period 2 from a 2-gram that overlaps the suffix');
});

/** Brute force: for n from max down to min, the latest e < L - 1 whose n tokens equal the suffix's; then copy with period L-1-e. */
function reference(tokens: number[], c: SpeculativeConfig): number[] {
  const L = tokens.length;
  for (let n = Math.min(c.promptLookupMax, L - 1); n >= c.promptLookupMin; n--) {
    for (let e = L - 2; e >= n - 1; e--) {
      let same = true;
      for (let t = 0; t < n && same; t++) same = tokens[e - t] === tokens[L - 1 - t];
      if (same) {
        const extended = [...tokens];
        for (let i = 0; i < c.numSpeculativeTokens; i++) extended.push(extended[e + 1 + i]!); // token (L - 1 - e) back
        return extended.slice(L);
      }
    }
  }
  return [];
}

test('matches the brute-force reference on random small-alphabet sequences', () => {
  fc.assert(fc.property(
    fc.array(fc.nat(3), { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 4 }),
    (tokens, k, min, extra) => {
      const c = config(k, min, min + extra);
      assert.deepEqual(new NgramProposer(c).propose(tokens), reference(tokens, c));
    },
  ), { numRuns: 2000 });
});
