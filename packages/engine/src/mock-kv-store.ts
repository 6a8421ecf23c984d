// MockKvStore: the mock runner's stand-in for a KV cache — one token id per (block, slot).
// Writing goes through the block table exactly like real attention would, and the checksum reads the
// whole context back, so a wrong block table or a corrupted prefix-cache block changes the output.

import type { StepSequence } from '@mini-dynamo/protocol';

export class MockKvStore {
  private readonly slots: Int32Array;

  constructor(numBlocks: number, private readonly blockSize: number) {
    this.slots = new Int32Array(numBlocks * blockSize);
  }

  /** Store s.tokenIds at their positions; when s samples, return a checksum of the whole context. */
  write(s: StepSequence): number {
    const bs = this.blockSize;
    for (let j = 0; j < s.tokenIds.length; j++) {
      const p = s.startPosition + j;
      this.slots[s.blockTable[Math.floor(p / bs)]! * bs + (p % bs)] = s.tokenIds[j]!;
    }
    if (s.sampling === null) return 0;
    const end = s.startPosition + s.tokenIds.length;
    let h = 0x811c9dc5;
    for (let p = 0; p < end; p++) {
      h = Math.imul(h ^ this.slots[s.blockTable[Math.floor(p / bs)]! * bs + (p % bs)]!, 0x01000193);
    }
    return h >>> 0;
  }
}
