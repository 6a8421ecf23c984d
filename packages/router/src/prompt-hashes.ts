// The prompt's block hashes in Dynamo's two phases: local (per-block) hashes, then chained
// sequence hashes. Both delegate to protocol's block-hash functions, so the result always equals
// computeBlockHashes(tokens, blockSize, salt).

import { chainBlockHash, localBlockHash, type BlockHash } from '@mini-dynamo/protocol';

export function localHashes(tokenIds: readonly number[], blockSize: number, seed: bigint): bigint[] {
  const numFull = Math.floor(tokenIds.length / blockSize);
  const out: bigint[] = new Array(numFull);
  for (let i = 0; i < numFull; i++) out[i] = localBlockHash(tokenIds.slice(i * blockSize, (i + 1) * blockSize), seed);
  return out;
}

export function chainHashes(locals: readonly bigint[], seed: bigint): BlockHash[] {
  const out: BlockHash[] = new Array(locals.length);
  let parent: BlockHash | null = null;
  for (let i = 0; i < locals.length; i++) {
    parent = chainBlockHash(parent, locals[i]!, seed);
    out[i] = parent;
  }
  return out;
}
