import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { xxh3 } from '@node-rs/xxhash';
import { fromWords, hashHi, hashLo, xxh3Words, XXH3_SHORT_AVAILABLE } from './xxh3-short.js';
import { chainBlockHash, computeBlockHashes, localBlockHash, BLOCK_HASH_SEED } from './block-hash.js';

const native = (ws: number[], seed: bigint): bigint => {
  const bytes = Buffer.alloc(ws.length * 4);
  ws.forEach((w, i) => bytes.writeUInt32LE(w >>> 0, i * 4));
  return xxh3.xxh64(bytes, seed);
};
const u64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

test('JS XXH3-64 equals the native hash for every 12..128-byte word input and seed', () => {
  assert.ok(XXH3_SHORT_AVAILABLE);
  fc.assert(fc.property(fc.array(u32, { minLength: 3, maxLength: 32 }), u64, (ws, seed) => {
    xxh3Words(ws, 0, ws.length, seed);
    assert.equal(fromWords(hashHi(), hashLo()), native(ws, seed));
  }), { numRuns: 3000 });
});

test('edge words (0, all ones) and the Dynamo seed', () => {
  for (const n of [3, 4, 5, 8, 9, 16, 17, 24, 25, 32]) {
    for (const fill of [0, 0xffffffff, 0x80000000]) {
      const ws = new Array<number>(n).fill(fill);
      for (const seed of [0n, BLOCK_HASH_SEED, 2n ** 64n - 1n]) {
        xxh3Words(ws, 0, n, seed);
        assert.equal(fromWords(hashHi(), hashLo()), native(ws, seed), `n=${n} fill=${fill} seed=${seed}`);
      }
    }
  }
});

test('block hashes through the fast path equal the byte-level definition', () => {
  fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 200_000 }), { minLength: 0, maxLength: 200 }), fc.constantFrom(1, 2, 4, 16, 32, 64), (tokens, bs) => {
    const hashes = computeBlockHashes(tokens, bs);
    let parent: bigint | null = null;
    for (let i = 0; i < hashes.length; i++) {
      const local = native(tokens.slice(i * bs, (i + 1) * bs), BLOCK_HASH_SEED);
      assert.equal(localBlockHash(tokens.slice(i * bs, (i + 1) * bs)), local);
      const bytes = Buffer.alloc(16);
      if (parent !== null) {
        bytes.writeBigUInt64LE(parent, 0);
        bytes.writeBigUInt64LE(local, 8);
      }
      const expected: bigint = parent === null ? local : xxh3.xxh64(bytes, BLOCK_HASH_SEED);
      assert.equal(hashes[i], expected);
      assert.equal(chainBlockHash(parent, local), expected);
      parent = expected;
    }
  }), { numRuns: 300 });
});
