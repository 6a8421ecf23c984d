// xxh3.ts against the native @node-rs/xxhash: >100k seeded-random inputs over every supported length
// (3..60 words) and seed (incl. salt-derived), edge words, number[] inputs, the chain pair.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xxh3 } from '@node-rs/xxhash';
import {
  XXH3_MAX_WORDS, XXH3_MIN_WORDS, hashHi, hashLo, splitBigInt, toBigInt, wordsHi, wordsLo,
  xxh3Keys, xxh3Pair, xxh3Words, xxh3WordsSupported,
} from './xxh3.js';
import { BLOCK_HASH_SEED, hashSeed } from './block-hash.js';

/** mulberry32: a reproducible u32 stream. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const SEEDS: bigint[] = [
  0n, 1n, BLOCK_HASH_SEED, 2n ** 64n - 1n, 0x8000000000000000n, 0xffffffffn, 0x100000000n,
  hashSeed('tenant-a'), hashSeed('lora:adapter-7'), hashSeed('ünïcødé salt'),
];

function native(words: ArrayLike<number>, offset: number, numWords: number, seed: bigint): bigint {
  const bytes = Buffer.allocUnsafe(numWords * 4);
  for (let i = 0; i < numWords; i++) bytes.writeUInt32LE(words[offset + i]! >>> 0, i * 4);
  return xxh3.xxh64(bytes, seed);
}

function js(words: ArrayLike<number>, offset: number, numWords: number, seed: bigint): bigint {
  xxh3Words(words, offset, numWords, xxh3Keys(seed));
  return toBigInt(hashHi(), hashLo());
}

test('supported lengths are 3..60 words (12..240 bytes)', () => {
  assert.equal(XXH3_MIN_WORDS, 3);
  assert.equal(XXH3_MAX_WORDS, 60);
  assert.equal(xxh3WordsSupported(2), false);
  assert.equal(xxh3WordsSupported(3), true);
  assert.equal(xxh3WordsSupported(60), true);
  assert.equal(xxh3WordsSupported(61), false);
});

test('bit-identical to native XXH3-64 on >100k random inputs of every supported length and seed', () => {
  const next = rng(0x5eed);
  const buf = new Uint32Array(XXH3_MAX_WORDS + 8);
  let numChecked = 0;
  for (let n = XXH3_MIN_WORDS; n <= XXH3_MAX_WORDS; n++) {
    for (const seed of SEEDS) {
      for (let t = 0; t < 180; t++) {
        // mix full-range words with token-id-like small ones; vary the offset into the buffer
        const mask = t % 3 === 0 ? 0x3ffff : 0xffffffff;
        const offset = t & 7;
        for (let i = 0; i < n; i++) buf[offset + i] = next() & mask;
        assert.equal(js(buf, offset, n, seed), native(buf, offset, n, seed), `n=${n} seed=${seed} t=${t}`);
        numChecked++;
      }
    }
  }
  assert.ok(numChecked > 100_000, `${numChecked} inputs`);
});

test('edge words: zeros, all ones, sign bit, one hot', () => {
  for (let n = XXH3_MIN_WORDS; n <= XXH3_MAX_WORDS; n++) {
    for (const fill of [0, 0xffffffff, 0x80000000, 1]) {
      const ws = new Uint32Array(n).fill(fill);
      for (const seed of SEEDS) assert.equal(js(ws, 0, n, seed), native(ws, 0, n, seed), `n=${n} fill=${fill} seed=${seed}`);
    }
    const oneHot = new Uint32Array(n);
    oneHot[n - 1] = 0x80000000;
    assert.equal(js(oneHot, 0, n, 7n), native(oneHot, 0, n, 7n), `one-hot n=${n}`);
  }
});

test('plain number arrays hash their values mod 2^32, like writeUInt32LE(x >>> 0)', () => {
  const next = rng(42);
  for (let t = 0; t < 2000; t++) {
    const n = XXH3_MIN_WORDS + (t % (XXH3_MAX_WORDS - XXH3_MIN_WORDS + 1));
    const ws: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = next();
      ws.push(i % 4 === 0 ? v - 2 ** 31 : i % 4 === 1 ? v + 2 ** 32 : v & 0xffff);
    }
    assert.equal(js(ws, 0, n, BLOCK_HASH_SEED), native(ws, 0, n, BLOCK_HASH_SEED), `t=${t}`);
  }
});

test('xxh3Pair equals XXH3-64 of two u64 little-endian (the chain step)', () => {
  const next = rng(9);
  const bytes = Buffer.alloc(16);
  for (let t = 0; t < 20_000; t++) {
    const a = (BigInt(next()) << 32n) | BigInt(next());
    const b = t % 5 === 0 ? 0n : (BigInt(next()) << 32n) | BigInt(next());
    const seed = SEEDS[t % SEEDS.length]!;
    splitBigInt(a);
    const aHi = wordsHi(), aLo = wordsLo();
    splitBigInt(b);
    xxh3Pair(aHi, aLo, wordsHi(), wordsLo(), xxh3Keys(seed));
    bytes.writeBigUInt64LE(a, 0);
    bytes.writeBigUInt64LE(b, 8);
    assert.equal(toBigInt(hashHi(), hashLo()), xxh3.xxh64(bytes, seed), `a=${a} b=${b} seed=${seed}`);
  }
});

test('bigint round trip through (hi, lo) words', () => {
  for (const h of [0n, 1n, 0xffffffffn, 0x100000000n, 2n ** 64n - 1n, 0xfedcba9876543210n]) {
    splitBigInt(h);
    assert.equal(toBigInt(wordsHi(), wordsLo()), h);
    assert.equal(wordsLo(), Number(h & 0xffffffffn));
  }
});

test('key cache: alternating seeds keep their own keys', () => {
  const ws = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  for (let t = 0; t < 3; t++) {
    for (const seed of SEEDS) assert.equal(js(ws, 0, 16, seed), native(ws, 0, 16, seed));
  }
});
