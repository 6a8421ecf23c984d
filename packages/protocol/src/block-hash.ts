// The one block-hash function shared by router and worker (Dynamo-compatible).
// local[i] = XXH3-64(seed, token ids of full block i as u32 little-endian)
// h[0] = local[0];  h[i] = XXH3-64(seed, h[i-1] ‖ local[i]) with both as u64 little-endian.
// seed = 1337, or XXH3-64(1337, utf8(salt)) when a cache salt is given. Only full blocks hash.

import { xxh3 } from '@node-rs/xxhash';

export type BlockHash = bigint;

export const BLOCK_HASH_SEED = 1337n;

const seedCache = new Map<string, bigint>();

/** The hashing seed for a cache salt (tenant / LoRA); null → the plain Dynamo seed. */
export function hashSeed(salt: string | null = null): bigint {
  if (salt === null || salt === '') return BLOCK_HASH_SEED;
  let seed = seedCache.get(salt);
  if (seed === undefined) {
    seed = xxh3.xxh64(Buffer.from(salt, 'utf8'), BLOCK_HASH_SEED);
    if (seedCache.size > 4096) seedCache.clear();
    seedCache.set(salt, seed);
  }
  return seed;
}

/** Hash of one block's token ids alone (Dynamo's LocalBlockHash). */
export function localBlockHash(tokenIds: ArrayLike<number>, seed: bigint = BLOCK_HASH_SEED): bigint {
  const bytes = Buffer.allocUnsafe(tokenIds.length * 4);
  for (let i = 0; i < tokenIds.length; i++) bytes.writeUInt32LE(tokenIds[i]! >>> 0, i * 4);
  return xxh3.xxh64(bytes, seed);
}

const pair = Buffer.allocUnsafe(16);

/** Chain a block onto its parent: h = local for the first block, else XXH3(parent ‖ local). */
export function chainBlockHash(parent: BlockHash | null, local: bigint, seed: bigint = BLOCK_HASH_SEED): BlockHash {
  if (parent === null) return local;
  pair.writeBigUInt64LE(parent, 0);
  pair.writeBigUInt64LE(local, 8);
  return xxh3.xxh64(pair, seed);
}

/** Hash of a full block given its parent's hash: what the worker computes when a block fills. */
export function blockHash(parent: BlockHash | null, tokenIds: ArrayLike<number>, seed: bigint = BLOCK_HASH_SEED): BlockHash {
  return chainBlockHash(parent, localBlockHash(tokenIds, seed), seed);
}

/** Chained hashes of every full block of a token sequence (a partial tail block is ignored). */
export function computeBlockHashes(tokenIds: ArrayLike<number>, blockSize: number, salt: string | null = null): BlockHash[] {
  const seed = hashSeed(salt);
  const numFull = Math.floor(tokenIds.length / blockSize);
  const hashes: BlockHash[] = new Array(numFull);
  const view = Array.isArray(tokenIds) ? tokenIds : Array.from(tokenIds);
  let parent: BlockHash | null = null;
  for (let i = 0; i < numFull; i++) {
    parent = blockHash(parent, view.slice(i * blockSize, (i + 1) * blockSize), seed);
    hashes[i] = parent;
  }
  return hashes;
}
