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

  /** Pool slot of position `pos` of a sequence with this block table. */
  slotOf(blockTable: readonly number[], pos: number): number {
    const { blockSize, numBlocks } = this.shape;
    const block = blockTable[Math.floor(pos / blockSize)];
    if (block === undefined || !Number.isInteger(block) || block < 0 || block >= numBlocks) {
      throw new RangeError(`no valid KV block for position ${pos} (block table ${JSON.stringify(blockTable)})`);
    }
    return block * blockSize + (pos % blockSize);
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
 * A step-sized copy of the pool holding only the slots a step reads (same head-major layout, numSlots = the
 * number of distinct slots). Rewrites `slotArrays` in place to index it. Used where the pool cannot be shared
 * with the device (CUDA EP without IO binding): the bytes crossing PCIe become the KV the step attends to.
 * `scratch` (reused across steps when large enough) avoids allocating and faulting in a fresh buffer per step.
 */
export function compactKv(pool: KvPool, slotArrays: Int32Array[], scratch: Float32Array | null = null): { data: Float32Array; numRows: number } {
  const compactOf = new Int32Array(pool.numSlots); // compact index + 1; 0 = not read this step
  const order: number[] = [];
  for (const arr of slotArrays) {
    for (let i = 0; i < arr.length; i++) {
      const slot = arr[i]!;
      if (compactOf[slot] === 0) { order.push(slot); compactOf[slot] = order.length; }
      arr[i] = compactOf[slot]! - 1;
    }
  }
  const { numLayers, numKvHeads, headDim: D } = pool.shape;
  const numSlabs = 2 * numLayers * numKvHeads;
  const numCompact = order.length;
  const src = pool.data;
  const size = numSlabs * numCompact * D;
  const data = scratch !== null && scratch.length >= size ? scratch.subarray(0, size) : new Float32Array(size);
  let dst = 0;
  for (let slab = 0; slab < numSlabs; slab++) {
    const slabBase = slab * pool.numSlots;
    for (let c = 0; c < numCompact; c++) {
      let from = (slabBase + order[c]!) * D;
      if (D >= 16) { data.set(src.subarray(from, from + D), dst); dst += D; continue; } // memcpy wins for long rows
      for (let d = 0; d < D; d++) data[dst++] = src[from++]!;
    }
  }
  return { data, numRows: numSlabs * numCompact };
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
