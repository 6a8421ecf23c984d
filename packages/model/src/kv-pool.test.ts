// KvPool layout: scatter writes each token's heads at its slot's rows; compactKv keeps exactly the read blocks.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compactKv, defaultNumBlocks, kvBytesPerToken, KvPool } from './kv-pool.js';

const shape = { numLayers: 2, numBlocks: 4, blockSize: 2, numKvHeads: 2, headDim: 3 };

/** new_kv [2L, T, Hkv*D] whose value encodes (slab, token, head, d). */
function newKv(numTokens: number): Float32Array {
  const out = new Float32Array(2 * shape.numLayers * numTokens * shape.numKvHeads * shape.headDim);
  let i = 0;
  for (let slab = 0; slab < 4; slab++) for (let t = 0; t < numTokens; t++) for (let h = 0; h < 2; h++) for (let d = 0; d < 3; d++) out[i++] = slab * 1000 + t * 100 + h * 10 + d;
  return out;
}

describe('KvPool', () => {
  it('maps positions through the block table and rejects uncovered positions', () => {
    const pool = new KvPool(shape);
    assert.equal(pool.slotOf([3, 1], 0), 6);
    assert.equal(pool.slotOf([3, 1], 3), 3);
    assert.throws(() => pool.slotOf([3, 1], 4), /no valid KV block/);
    assert.throws(() => pool.slotOf([9], 0), /no valid KV block/);
  });

  it('scatters each token and head to row ((2l+kv)*Hkv + h)*numSlots + slot', () => {
    const pool = new KvPool(shape);
    pool.scatter(newKv(2), Int32Array.of(5, 2));
    const row = (slab: number, h: number, slot: number) => Array.from(pool.data.subarray(((slab * 2 + h) * 8 + slot) * 3, ((slab * 2 + h) * 8 + slot + 1) * 3));
    assert.deepEqual(row(0, 0, 5), [0, 1, 2]);
    assert.deepEqual(row(3, 1, 2), [3110, 3111, 3112]);
    assert.deepEqual(row(2, 1, 5), [2010, 2011, 2012]);
    assert.deepEqual(row(1, 0, 0), [0, 0, 0], 'untouched slots stay zero');
  });

  it('compactKv copies only the referenced blocks and remaps indices to them', () => {
    const pool = new KvPool(shape);
    pool.scatter(newKv(3), Int32Array.of(7, 1, 4)); // slots 7, 1, 4 = blocks 3, 0, 2
    const a = Int32Array.of(2, 3), b = Int32Array.of(3, 0, 3);
    const compact = compactKv(pool, [a, b]);
    assert.deepEqual([...a, ...b], [0, 1, 1, 2, 1]);
    assert.equal(compact.numRows, 2 * 2 * 2 * 3 * shape.blockSize);
    const blockFloats = shape.blockSize * 3;
    for (const [orig, c] of [[2, 0], [3, 1], [0, 2]] as const) {
      for (let slab = 0; slab < 8; slab++) {
        const src = pool.data.subarray((slab * 4 + orig) * blockFloats, (slab * 4 + orig + 1) * blockFloats);
        assert.deepEqual(compact.data.subarray((slab * 3 + c) * blockFloats, (slab * 3 + c + 1) * blockFloats), src);
      }
    }
  });

  it('sizes the default pool by sequences and a byte budget', () => {
    assert.equal(kvBytesPerToken(shape), 2 * 2 * 2 * 3 * 4);
    const s = { numLayers: 30, blockSize: 16, numKvHeads: 3, headDim: 64 };
    assert.equal(defaultNumBlocks(s, 8192), Math.floor((256 * 2 ** 20) / (kvBytesPerToken(s) * 16)));
    assert.equal(defaultNumBlocks({ ...s, numLayers: 1, numKvHeads: 1 }, 512), 64 * 32);
  });
});
