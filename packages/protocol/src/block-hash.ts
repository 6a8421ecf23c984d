// The one block-hash function shared by router and worker (Dynamo-compatible).
// local[i] = XXH3-64(seed, token ids of full block i as u32 little-endian)
// h[0] = local[0];  h[i] = XXH3-64(seed, h[i-1] ‖ local[i]) with both as u64 little-endian.
// seed = 1337, or XXH3-64(1337, utf8(salt)) when a cache salt is given. Only full blocks hash.
// Blocks of 3..60 tokens and the chain step hash in JS (xxh3.ts, bit-identical); others natively.

import { xxh3 } from '@node-rs/xxhash';
import { hashHi, hashLo, splitBigInt, toBigInt, wordsHi, wordsLo, xxh3Keys, xxh3Pair, xxh3Words, xxh3WordsSupported } from './xxh3.js';

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

/** XXH3-64 of tokenIds[offset .. offset + numTokens) as u32 LE, in JS where supported. */
function hashTokens(tokenIds: ArrayLike<number>, offset: number, numTokens: number, seed: bigint): bigint {
  if (xxh3WordsSupported(numTokens)) {
    xxh3Words(tokenIds, offset, numTokens, xxh3Keys(seed));
    return toBigInt(hashHi(), hashLo());
  }
  const bytes = Buffer.allocUnsafe(numTokens * 4);
  for (let i = 0; i < numTokens; i++) bytes.writeUInt32LE(tokenIds[offset + i]! >>> 0, i * 4);
  return xxh3.xxh64(bytes, seed);
}

/** Hash of one block's token ids alone (Dynamo's LocalBlockHash). */
export function localBlockHash(tokenIds: ArrayLike<number>, seed: bigint = BLOCK_HASH_SEED): bigint {
  return hashTokens(tokenIds, 0, tokenIds.length, seed);
}

/** Chain a block onto its parent: h = local for the first block, else XXH3(parent ‖ local). */
export function chainBlockHash(parent: BlockHash | null, local: bigint, seed: bigint = BLOCK_HASH_SEED): BlockHash {
  if (parent === null) return local;
  splitBigInt(parent);
  const pHi = wordsHi(), pLo = wordsLo();
  splitBigInt(local);
  xxh3Pair(pHi | 0, pLo | 0, wordsHi() | 0, wordsLo() | 0, xxh3Keys(seed));
  return toBigInt(hashHi(), hashLo());
}

/** Hash of a full block given its parent's hash: what the worker computes when a block fills. */
export function blockHash(parent: BlockHash | null, tokenIds: ArrayLike<number>, seed: bigint = BLOCK_HASH_SEED): BlockHash {
  return chainBlockHash(parent, localBlockHash(tokenIds, seed), seed);
}

/** Local hashes of every full block of a token sequence (Dynamo's block hashing phase). */
export function localBlockHashes(tokenIds: ArrayLike<number>, blockSize: number, seed: bigint = BLOCK_HASH_SEED): bigint[] {
  const numFull = Math.floor(tokenIds.length / blockSize);
  const out: bigint[] = new Array(numFull);
  for (let i = 0; i < numFull; i++) out[i] = hashTokens(tokenIds, i * blockSize, blockSize, seed);
  return out;
}

/** Chain local hashes into sequence hashes: h[0] = local[0], h[i] = chain(h[i-1], local[i]). */
export function chainBlockHashes(locals: readonly bigint[], seed: bigint = BLOCK_HASH_SEED): BlockHash[] {
  const out: BlockHash[] = new Array(locals.length);
  let parent: BlockHash | null = null;
  for (let i = 0; i < locals.length; i++) {
    parent = chainBlockHash(parent, locals[i]!, seed);
    out[i] = parent;
  }
  return out;
}

/**
 * localBlockHashes without a bigint per block: out[2i] = hi, out[2i + 1] = lo u32 words of block i's
 * local hash. Reuses `out` when it is large enough (the router's per-request scratch); returns the array used.
 */
export function localBlockHashWords(tokenIds: ArrayLike<number>, blockSize: number, seed: bigint = BLOCK_HASH_SEED, out?: Uint32Array): Uint32Array {
  const numFull = Math.floor(tokenIds.length / blockSize);
  const words = out !== undefined && out.length >= 2 * numFull ? out : new Uint32Array(2 * numFull);
  const js = xxh3WordsSupported(blockSize);
  const keys = xxh3Keys(seed);
  for (let i = 0; i < numFull; i++) {
    if (js) xxh3Words(tokenIds, i * blockSize, blockSize, keys);
    else splitBigInt(hashTokens(tokenIds, i * blockSize, blockSize, seed));
    words[2 * i] = js ? hashHi() : wordsHi();
    words[2 * i + 1] = js ? hashLo() : wordsLo();
  }
  return words;
}

/** chainBlockHashes over localBlockHashWords' output (first numBlocks pairs): one bigint per block, for the result. */
export function chainBlockHashWords(locals: Uint32Array, numBlocks: number, seed: bigint = BLOCK_HASH_SEED): BlockHash[] {
  const out: BlockHash[] = new Array(numBlocks);
  const keys = xxh3Keys(seed);
  let hi = 0, lo = 0;
  for (let i = 0; i < numBlocks; i++) {
    if (i === 0) {
      hi = locals[0]! | 0;
      lo = locals[1]! | 0;
    } else {
      xxh3Pair(hi, lo, locals[2 * i]! | 0, locals[2 * i + 1]! | 0, keys); // int32 words: no boxing
      hi = hashHi() | 0;
      lo = hashLo() | 0;
    }
    out[i] = toBigInt(hi, lo);
  }
  return out;
}

/** Chained hashes of every full block of a token sequence (a partial tail block is ignored). */
export function computeBlockHashes(tokenIds: ArrayLike<number>, blockSize: number, salt: string | null = null): BlockHash[] {
  const seed = hashSeed(salt);
  if (!xxh3WordsSupported(blockSize)) return chainBlockHashes(localBlockHashes(tokenIds, blockSize, seed), seed);
  // Fused: locals and chain stay as (hi, lo) u32 words; one bigint per block, for the result.
  const numFull = Math.floor(tokenIds.length / blockSize);
  const out: BlockHash[] = new Array(numFull);
  const keys = xxh3Keys(seed);
  let hi = 0, lo = 0;
  for (let i = 0; i < numFull; i++) {
    xxh3Words(tokenIds, i * blockSize, blockSize, keys);
    if (i > 0) xxh3Pair(hi | 0, lo | 0, hashHi() | 0, hashLo() | 0, keys); // int32: no boxing
    hi = hashHi();
    lo = hashLo();
    out[i] = toBigInt(hi, lo);
  }
  return out;
}
