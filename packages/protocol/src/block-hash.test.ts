import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xxh3 } from '@node-rs/xxhash';
import {
  computeBlockHashes, localBlockHash, chainBlockHash, blockHash, hashSeed, BLOCK_HASH_SEED, localBlockHashes, chainBlockHashes,
  localBlockHashWords, chainBlockHashWords,
} from './block-hash.js';
import { kvEventFromJson, kvEventToJson } from './kv-events.js';

test('local block hash is XXH3-64 seed 1337 over u32 little-endian token ids', () => {
  const tokens = [1, 2, 3, 0xffffffff];
  const bytes = Buffer.alloc(16);
  tokens.forEach((t, i) => bytes.writeUInt32LE(t, i * 4));
  assert.equal(localBlockHash(tokens), xxh3.xxh64(bytes, 1337n));
});

test('hashes chain over full blocks only and depend on every earlier block', () => {
  const a = Array.from({ length: 40 }, (_, i) => i);
  const hashes = computeBlockHashes(a, 16);
  assert.equal(hashes.length, 2);
  assert.equal(hashes[0], localBlockHash(a.slice(0, 16)));
  assert.equal(hashes[1], chainBlockHash(hashes[0]!, localBlockHash(a.slice(16, 32))));
  const b = [...a];
  b[0] = 99;
  const hb = computeBlockHashes(b, 16);
  assert.notEqual(hb[0], hashes[0]);
  assert.notEqual(hb[1], hashes[1], 'second block hash changes when the first block differs');
  assert.equal(blockHash(hashes[0]!, a.slice(16, 32)), hashes[1]);
});

test('salt changes every hash; no salt equals the Dynamo seed', () => {
  const a = Array.from({ length: 32 }, (_, i) => i * 7);
  assert.equal(hashSeed(null), BLOCK_HASH_SEED);
  const plain = computeBlockHashes(a, 16);
  const salted = computeBlockHashes(a, 16, 'tenant-a');
  assert.notEqual(plain[0], salted[0]);
  assert.deepEqual(computeBlockHashes(a, 16, 'tenant-a'), salted);
});

test('kv events round-trip through JSON with u64 hashes intact', () => {
  const h = 0xfedcba9876543210n;
  const e = { workerId: 'w1', eventId: 7, data: { type: 'stored' as const, parentHash: h, blocks: [{ blockHash: h + 1n, tokenIds: [1, 2] }] } };
  assert.deepEqual(kvEventFromJson(kvEventToJson(e)), e);
  const r = { workerId: 'w1', eventId: 8, data: { type: 'removed' as const, blockHashes: [h] } };
  assert.deepEqual(kvEventFromJson(kvEventToJson(r)), r);
});

/** The definition, byte for byte, through the native hash only. */
function nativeBlockHashes(tokens: readonly number[], blockSize: number, seed: bigint): bigint[] {
  const out: bigint[] = [];
  const pair = Buffer.alloc(16);
  for (let i = 0; (i + 1) * blockSize <= tokens.length; i++) {
    const bytes = Buffer.alloc(blockSize * 4);
    for (let j = 0; j < blockSize; j++) bytes.writeUInt32LE(tokens[i * blockSize + j]! >>> 0, j * 4);
    const local = xxh3.xxh64(bytes, seed);
    if (i === 0) out.push(local);
    else {
      pair.writeBigUInt64LE(out[i - 1]!, 0);
      pair.writeBigUInt64LE(local, 8);
      out.push(xxh3.xxh64(pair, seed));
    }
  }
  return out;
}

test('every block size (JS fast path and native fallback) equals the native definition', () => {
  let x = 12345;
  const tokens = Array.from({ length: 700 }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) % 200_003);
  tokens[5] = 0xffffffff;
  const u32 = Uint32Array.from(tokens);
  for (const blockSize of [1, 2, 3, 4, 5, 8, 15, 16, 17, 31, 32, 33, 48, 59, 60, 61, 64, 128]) {
    for (const salt of [null, 'tenant-a']) {
      const seed = hashSeed(salt);
      const expected = nativeBlockHashes(tokens, blockSize, seed);
      const tag = `blockSize=${blockSize} salt=${salt}`;
      assert.deepEqual(computeBlockHashes(tokens, blockSize, salt), expected, tag);
      assert.deepEqual(computeBlockHashes(u32, blockSize, salt), expected, `${tag} (Uint32Array)`);
      assert.deepEqual(chainBlockHashes(localBlockHashes(tokens, blockSize, seed), seed), expected, `${tag} (two phases)`);
      const words = localBlockHashWords(tokens, blockSize, seed, new Uint32Array(2000));
      assert.deepEqual(chainBlockHashWords(words, expected.length, seed), expected, `${tag} (two phases, u32 words)`);
      assert.deepEqual(chainBlockHashWords(localBlockHashWords(tokens, blockSize, seed, new Uint32Array(1)), expected.length, seed), expected, `${tag} (scratch too small)`);
      if (expected.length > 1) assert.equal(blockHash(expected[0]!, tokens.slice(blockSize, 2 * blockSize), seed), expected[1], tag);
    }
  }
});
