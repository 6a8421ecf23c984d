// The paged KV pool: one JS-owned Float32Array handed to ORT zero-copy as the graph's kv_cache input.
// Invariant: row (2*layer + kv) * numSlots + slot holds the rotated key (kv=0) or value (kv=1) of one token,
// slot = blockTable[pos / blockSize] * blockSize + pos % blockSize; rows are written only by scatter().

export interface KvPoolShape {
  numLayers: number;
  numBlocks: number;
  blockSize: number;
  /** numKvHeads * headDim floats per row. */
  rowLen: number;
}

export class KvPool {
  readonly data: Float32Array;
  readonly numSlots: number;
  readonly numRows: number;

  constructor(readonly shape: KvPoolShape) {
    this.numSlots = shape.numBlocks * shape.blockSize;
    this.numRows = 2 * shape.numLayers * this.numSlots;
    this.data = new Float32Array(this.numRows * shape.rowLen);
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

  /** Writes the graph's new_kv [2L, T, rowLen] into the pool at each new token's slot. */
  scatter(newKv: Float32Array, slots: Int32Array): void {
    const { rowLen, numLayers } = this.shape;
    const numTokens = slots.length;
    for (let slab = 0; slab < 2 * numLayers; slab++) {
      const srcBase = slab * numTokens * rowLen;
      const dstBase = slab * this.numSlots;
      for (let t = 0; t < numTokens; t++) {
        const src = srcBase + t * rowLen;
        this.data.set(newKv.subarray(src, src + rowLen), (dstBase + slots[t]!) * rowLen);
      }
    }
  }
}

/** KV bytes one token occupies across all layers. */
export function kvBytesPerToken(numLayers: number, rowLen: number): number {
  return 2 * numLayers * rowLen * 4;
}

/** Default pool size: room for 64 full-length sequences, capped at `budgetBytes` (256 MiB). */
export function defaultNumBlocks(shape: Omit<KvPoolShape, 'numBlocks'>, maxModelLen: number, budgetBytes = 256 * 2 ** 20): number {
  const blockBytes = kvBytesPerToken(shape.numLayers, shape.rowLen) * shape.blockSize;
  const wanted = 64 * Math.ceil(maxModelLen / shape.blockSize);
  return Math.max(1, Math.min(wanted, Math.floor(budgetBytes / blockBytes)));
}
