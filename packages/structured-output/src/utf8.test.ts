import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { prefixRange, sequenceLength } from './utf8.js';

const encoder = new TextEncoder();
const scalarValue = fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff }));

test('every prefix of a character\'s UTF-8 encoding has a range holding it; the whole encoding is exactly it', () => {
  fc.assert(
    fc.property(scalarValue, (cp) => {
      const bytes = [...encoder.encode(String.fromCodePoint(cp))];
      assert.equal(sequenceLength(bytes[0]!), bytes.length);
      for (let n = 1; n <= bytes.length; n++) {
        const range = prefixRange(bytes.slice(0, n));
        assert.ok(range !== null && range.lo <= cp && cp <= range.hi, `${cp.toString(16)} after ${n} bytes`);
      }
      assert.deepEqual(prefixRange(bytes), { lo: cp, hi: cp });
    }),
    { numRuns: 500, seed: 7 },
  );
});

test('a range holds only characters whose encoding starts with the prefix', () => {
  fc.assert(
    fc.property(scalarValue, fc.integer({ min: 1, max: 3 }), (cp, n) => {
      const prefix = [...encoder.encode(String.fromCodePoint(cp))].slice(0, n);
      const range = prefixRange(prefix)!;
      for (const other of [range.lo, range.hi]) {
        assert.deepEqual([...encoder.encode(String.fromCodePoint(other))].slice(0, prefix.length), prefix);
      }
    }),
    { numRuns: 300, seed: 8 },
  );
});

test('ill-formed sequences have no range: overlong, surrogates, above U+10FFFF, stray continuation, bad lead', () => {
  for (const bytes of [[0xc0], [0xc1, 0xbf], [0xe0, 0x80], [0xed, 0xa0], [0xed, 0xbf, 0xbf], [0xf0, 0x80], [0xf4, 0x90], [0xf5], [0x80], [0xbf], [0xff], [0xc3, 0x41], [0xe6, 0x97, 0xc3], [0x41, 0x80]]) {
    assert.equal(prefixRange(bytes), null, bytes.map((b) => b.toString(16)).join(' '));
  }
  assert.deepEqual(prefixRange([0xed]), { lo: 0xd000, hi: 0xd7ff });
  assert.deepEqual(prefixRange([0xe6, 0x97]), { lo: 0x65c0, hi: 0x65ff });
  assert.deepEqual(prefixRange([0xf0, 0x9f, 0x98]), { lo: 0x1f600, hi: 0x1f63f });
});
