// FreeBlockQueue: the allocator's free blocks as an intrusive doubly linked list over block ids.
// Invariant: each block is in the queue at most once; popFront takes the least recently freed
// (eviction order); every operation is O(1) and allocation-free.

export class FreeBlockQueue {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly member: Uint8Array;
  private readonly head: number;
  private readonly tail: number;
  private numBlocks = 0;

  constructor(capacity: number) {
    this.prev = new Int32Array(capacity + 2);
    this.next = new Int32Array(capacity + 2);
    this.member = new Uint8Array(capacity);
    this.head = capacity;
    this.tail = capacity + 1;
    this.next[this.head] = this.tail;
    this.prev[this.tail] = this.head;
  }

  get length(): number {
    return this.numBlocks;
  }

  has(blockId: number): boolean {
    return this.member[blockId] === 1;
  }

  /** Least recently freed block, or null when empty. */
  popFront(): number | null {
    const first = this.next[this.head]!;
    if (first === this.tail) return null;
    this.remove(first);
    return first;
  }

  /** Evicted last (most recently used). */
  pushBack(blockId: number): void {
    this.insertAfter(this.prev[this.tail]!, blockId);
  }

  /** Reused first (blocks that hold nothing worth keeping). */
  pushFront(blockId: number): void {
    this.insertAfter(this.head, blockId);
  }

  remove(blockId: number): void {
    const p = this.prev[blockId]!;
    const n = this.next[blockId]!;
    this.next[p] = n;
    this.prev[n] = p;
    this.member[blockId] = 0;
    this.numBlocks--;
  }

  /** Block ids front to back (audit and tests only: O(n)). */
  toArray(): number[] {
    const out: number[] = [];
    for (let b = this.next[this.head]!; b !== this.tail && out.length <= this.member.length; b = this.next[b]!) out.push(b);
    return out;
  }

  private insertAfter(at: number, blockId: number): void {
    const n = this.next[at]!;
    this.next[at] = blockId;
    this.prev[blockId] = at;
    this.next[blockId] = n;
    this.prev[n] = blockId;
    this.member[blockId] = 1;
    this.numBlocks++;
  }
}
