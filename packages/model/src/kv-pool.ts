// The paged KV pool: one JS-owned Float32Array handed to ORT zero-copy as the graph's kv_cache input.
// Invariant (head-major layout): row ((2*layer + kv) * numKvHeads + head) * numSlots + slot holds headDim floats,
// the rotated key (kv=0) or value (kv=1) of one token and KV head; slot = blockTable[pos / blockSize] * blockSize
// + pos % blockSize. Rows are written only by scatter(), after the step that computed them.

export interface KvPoolShape {
  numLayers: number;
  numBlocks: number;
  blockSize: number;
  numKvHeads: number;
  headDim: number;
}

export class KvPool {
  readonly data: Float32Array;
  readonly numSlots: number;
  /** Rows of headDim floats: 2 * numLayers * numKvHeads * numSlots. */
  readonly numRows: number;

  constructor(readonly shape: KvPoolShape) {
    this.numSlots = shape.numBlocks * shape.blockSize;
    this.numRows = 2 * shape.numLayers * shape.numKvHeads * this.numSlots;
    this.data = new Float32Array(this.numRows * shape.headDim);
  }

  get byteLength(): number {
    return this.data.byteLength;
  }

  /** Physical block holding position `pos` of a sequence with this block table (validated). */
  blockOf(blockTable: readonly number[], pos: number): number {
    const block = blockTable[Math.floor(pos / this.shape.blockSize)];
    if (block === undefined || !Number.isInteger(block) || block < 0 || block >= this.shape.numBlocks) {
      throw new RangeError(`no valid KV block for position ${pos} (block table ${JSON.stringify(blockTable)})`);
    }
    return block;
  }

  /** Pool slot of position `pos` of a sequence with this block table. */
  slotOf(blockTable: readonly number[], pos: number): number {
    const { blockSize } = this.shape;
    return this.blockOf(blockTable, pos) * blockSize + (pos % blockSize);
  }

  /** Writes the graph's new_kv [2L, T, numKvHeads*headDim] into the pool at each new token's slot. */
  scatter(newKv: Float32Array, slots: Int32Array): void {
    const { numLayers, numKvHeads, headDim } = this.shape;
    const numTokens = slots.length;
    const data = this.data;
    for (let slab = 0; slab < 2 * numLayers; slab++) {
      for (let t = 0; t < numTokens; t++) {
        let src = (slab * numTokens + t) * numKvHeads * headDim;
        for (let h = 0; h < numKvHeads; h++) {
          let dst = ((slab * numKvHeads + h) * this.numSlots + slots[t]!) * headDim;
          for (let d = 0; d < headDim; d++) data[dst++] = newKv[src++]!;
        }
      }
    }
  }
}

/**
 * A step-sized copy of the pool holding only the blocks a step reads (same head-major layout, numBlocks = the
 * number of distinct blocks). Rewrites `blockArrays` in place to index it. Used where the pool cannot be shared
 * with the device (CUDA EP without IO binding): the bytes crossing PCIe become the KV blocks the step attends to.
 * `scratch` (reused across steps when large enough) avoids allocating and faulting in a fresh buffer per step.
 */
export function compactKv(pool: KvPool, blockArrays: Int32Array[], scratch: Float32Array | null = null): { data: Float32Array; numRows: number } {
  const compactOf = new Int32Array(pool.shape.numBlocks); // compact index + 1; 0 = not read this step
  const order: number[] = [];
  for (const arr of blockArrays) {
    for (let i = 0; i < arr.length; i++) {
      const block = arr[i]!;
      if (compactOf[block] === 0) { order.push(block); compactOf[block] = order.length; }
      arr[i] = compactOf[block]! - 1;
    }
  }
  const { numLayers, numKvHeads, headDim, blockSize } = pool.shape;
  const numSlabs = 2 * numLayers * numKvHeads;
  const blockFloats = blockSize * headDim; // one block of one slab is contiguous
  const numCompact = order.length;
  const src = pool.data;
  const size = numSlabs * numCompact * blockFloats;
  const data = scratch !== null && scratch.length >= size ? scratch.subarray(0, size) : new Float32Array(size);
  let dst = 0;
  for (let slab = 0; slab < numSlabs; slab++) {
    const slabBase = slab * pool.shape.numBlocks;
    for (let c = 0; c < numCompact; c++) {
      const from = (slabBase + order[c]!) * blockFloats;
      data.set(src.subarray(from, from + blockFloats), dst);
      dst += blockFloats;
    }
  }
  return { data, numRows: numSlabs * numCompact * blockSize };
}

/** KV bytes one token occupies across all layers. */
export function kvBytesPerToken(shape: Pick<KvPoolShape, 'numLayers' | 'numKvHeads' | 'headDim'>): number {
  return 2 * shape.numLayers * shape.numKvHeads * shape.headDim * 4;
}

/** Default pool size: room for 64 full-length sequences, capped at `budgetBytes` (256 MiB). */
export function defaultNumBlocks(shape: Omit<KvPoolShape, 'numBlocks'>, maxModelLen: number, budgetBytes = 256 * 2 ** 20): number {
  const blockBytes = kvBytesPerToken(shape) * shape.blockSize;
  const wanted = 64 * Math.ceil(maxModelLen / shape.blockSize);
  return Math.max(1, Math.min(wanted, Math.floor(budgetBytes / blockBytes)));
}
