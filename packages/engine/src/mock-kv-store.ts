// MockKvStore: the mock runner's stand-in for a KV cache — one token id per (block, slot).
// Writing goes through the block table exactly like real attention would, and the checksums read the
// whole context back, so a wrong block table or a corrupted prefix-cache block changes the output.

import type { StepSequence } from '@mini-dynamo/protocol';

export class MockKvStore {
  private readonly slots: Int32Array;

  constructor(numBlocks: number, private readonly blockSize: number) {
    this.slots = new Int32Array(numBlocks * blockSize);
  }

  /** Store s.tokenIds at their positions (speculative drafts included: a rejected one is rewritten next step). */
  write(s: StepSequence): void {
    for (let j = 0; j < s.tokenIds.length; j++) this.slots[this.slot(s.blockTable, s.startPosition + j)] = s.tokenIds[j]!;
  }

  /** The token stored at position p of a sequence with this block table. */
  tokenAt(blockTable: readonly number[], p: number): number {
    return this.slots[this.slot(blockTable, p)]!;
  }

  /** Checksums of the contexts [0, end) for the row's last numEnds ends (one per sampled position), in order. */
  contextChecksums(s: StepSequence, numEnds: number): number[] {
    const rowEnd = s.startPosition + s.tokenIds.length;
    const checksums: number[] = [];
    let h = 0x811c9dc5;
    for (let p = 0; p < rowEnd; p++) {
      h = Math.imul(h ^ this.tokenAt(s.blockTable, p), 0x01000193);
      if (p + 1 > rowEnd - numEnds) checksums.push(h >>> 0);
    }
    return checksums;
  }

  private slot(blockTable: readonly number[], p: number): number {
    return blockTable[Math.floor(p / this.blockSize)]! * this.blockSize + (p % this.blockSize);
  }
}
