// BlockAllocator: paged KV bookkeeping — a preallocated pool of fixed-size blocks with ref counts
// and a prefix cache (hash → block, full blocks only). Free blocks wait in an LRU FreeBlockQueue and
// stay reusable as prefix hits until evicted. Invariants: free + used = total; a block is free iff
// its ref count is 0; cache[h] = b ⇔ hashOf[b] = h; every cache change emits one KV event with an
// event id rising by 1 from 1. clearPrefixCache() unmaps every hash (blocks in use keep running,
// no longer shareable) with one `cleared` event.

import type {
  AllocatorAudit, BlockHash, KvCacheEvent, KvCacheEventData, KvCacheSnapshot, StoredBlock,
} from '@mini-dynamo/protocol';
import { FreeBlockQueue } from './free-block-queue.js';
import type { Sequence } from './sequence.js';

export interface BlockAllocatorOptions {
  workerId: string;
  numBlocks: number;
  blockSize: number;
  enablePrefixCaching: boolean;
  onKvEvent?: (event: KvCacheEvent) => void;
}

/** AllocatorAudit plus the checks protocol's shape has no field for (free list, cache map). */
export interface BlockAllocatorAudit extends AllocatorAudit {
  problems: string[];
}

/** What the allocator needs of a sequence: its block table (and hashes, to cache full blocks). */
export type BlockOwner = Pick<Sequence, 'blockTable' | 'numCommittedBlocks'>;
export type CacheableSequence = BlockOwner & Pick<Sequence, 'blockHash' | 'blockTokenIds'>;

export class BlockAllocator {
  readonly workerId: string;
  readonly blockSize: number;
  readonly numTotalBlocks: number;
  readonly enablePrefixCaching: boolean;
  private readonly refCounts: Int32Array;
  private readonly hashOf: (BlockHash | null)[];
  private readonly cache = new Map<BlockHash, number>();
  private readonly free: FreeBlockQueue;
  private readonly onKvEvent: (event: KvCacheEvent) => void;
  private lastEventId = 0;

  constructor(options: BlockAllocatorOptions) {
    if (!(options.numBlocks >= 1 && options.blockSize >= 1)) throw new RangeError('numBlocks and blockSize must be ≥ 1');
    this.workerId = options.workerId;
    this.blockSize = options.blockSize;
    this.numTotalBlocks = options.numBlocks;
    this.enablePrefixCaching = options.enablePrefixCaching;
    this.onKvEvent = options.onKvEvent ?? (() => {});
    this.refCounts = new Int32Array(options.numBlocks);
    this.hashOf = new Array<BlockHash | null>(options.numBlocks).fill(null);
    this.free = new FreeBlockQueue(options.numBlocks);
    for (let b = 0; b < options.numBlocks; b++) this.free.pushBack(b);
  }

  get numFreeBlocks(): number {
    return this.free.length;
  }

  get numUsedBlocks(): number {
    return this.numTotalBlocks - this.free.length;
  }

  get numCachedBlocks(): number {
    return this.cache.size;
  }

  blocksFor(numTokens: number): number {
    return Math.ceil(numTokens / this.blockSize);
  }

  /** Block ids of the longest prefix of `seq`'s first numBlocks full blocks found in the cache. */
  cachedPrefix(seq: Pick<Sequence, 'blockHash'>, numBlocks: number): number[] {
    const hits: number[] = [];
    if (!this.enablePrefixCaching) return hits;
    for (let i = 0; i < numBlocks; i++) {
      const blockId = this.cache.get(seq.blockHash(i));
      if (blockId === undefined) break;
      hits.push(blockId);
    }
    return hits;
  }

  /**
   * Grow owner.blockTable to cover numTokens tokens, first sharing `cachedBlockIds` (only on an
   * empty table). All or nothing: returns false and changes nothing when the pool is short.
   */
  allocate(owner: BlockOwner, numTokens: number, cachedBlockIds: readonly number[] = []): boolean {
    const table = owner.blockTable;
    if (cachedBlockIds.length > 0 && table.length > 0) throw new Error('cached blocks only start a block table');
    const numNew = Math.max(0, this.blocksFor(numTokens) - table.length - cachedBlockIds.length);
    let numRevived = 0;
    for (const b of cachedBlockIds) if (this.refCounts[b] === 0) numRevived++;
    if (numNew + numRevived > this.free.length) return false;
    for (const b of cachedBlockIds) {
      if (this.refCounts[b]++ === 0) this.free.remove(b);
      table.push(b);
    }
    if (cachedBlockIds.length > 0) owner.numCommittedBlocks = cachedBlockIds.length;
    let evicted: BlockHash[] | null = null;
    for (let i = 0; i < numNew; i++) {
      const b = this.free.popFront()!;
      const h = this.hashOf[b]!;
      if (h !== null) {
        this.cache.delete(h);
        this.hashOf[b] = null;
        (evicted ??= []).push(h);
      }
      this.refCounts[b] = 1;
      table.push(b);
    }
    if (evicted) this.emit({ type: 'removed', blockHashes: evicted });
    return true;
  }

  /** Offer seq's full blocks [numCommittedBlocks, numFullBlocks) to the prefix cache; emits `stored`. */
  commitFullBlocks(seq: CacheableSequence, numFullBlocks: number): void {
    if (!this.enablePrefixCaching || numFullBlocks <= seq.numCommittedBlocks) return; // most decode steps fill no block
    let run: StoredBlock[] = [];
    let runParent: BlockHash | null = null;
    const flush = () => {
      if (run.length > 0) this.emit({ type: 'stored', parentHash: runParent, blocks: run });
      run = [];
    };
    for (let i = seq.numCommittedBlocks; i < numFullBlocks; i++) {
      const b = seq.blockTable[i]!;
      const h = seq.blockHash(i);
      if (this.hashOf[b] === h || this.cache.has(h)) {
        flush(); // already cached (a hit) or computed twice concurrently: the first copy stays
        continue;
      }
      if (run.length === 0) runParent = i === 0 ? null : seq.blockHash(i - 1);
      this.hashOf[b] = h;
      this.cache.set(h, b);
      run.push({ blockHash: h, tokenIds: seq.blockTokenIds(i) });
    }
    flush();
    seq.numCommittedBlocks = numFullBlocks;
  }

  /** Release every block of owner; deepest blocks end up first in eviction order. */
  release(owner: BlockOwner): void {
    const table = owner.blockTable;
    for (let i = table.length - 1; i >= 0; i--) {
      const b = table[i]!;
      if (--this.refCounts[b]! > 0) continue;
      if (this.hashOf[b] === null) this.free.pushFront(b);
      else this.free.pushBack(b);
    }
    owner.blockTable = []; // a new array: a batch in flight keeps its view of the old one
    owner.numCommittedBlocks = 0;
  }

  /** Drop every cached hash, in use or free (vLLM's reset_prefix_cache); returns how many. */
  clearPrefixCache(): number {
    if (!this.enablePrefixCaching) return 0;
    const numHashes = this.cache.size;
    this.cache.clear();
    this.hashOf.fill(null);
    this.emit({ type: 'cleared' });
    return numHashes;
  }

  snapshot(): KvCacheSnapshot {
    return { workerId: this.workerId, lastEventId: this.lastEventId, blockHashes: [...this.cache.keys()] };
  }

  /** Check every invariant against the block tables of all live sequences (O(total)). */
  audit(blockTables: Iterable<readonly number[]>): BlockAllocatorAudit {
    const n = this.numTotalBlocks;
    const references = new Int32Array(n);
    for (const table of blockTables) for (const b of table) references[b]!++;
    const orphanedBlocks: number[] = [];
    const refCountMismatches: AllocatorAudit['refCountMismatches'] = [];
    const problems: string[] = [];
    let numUsedBlocks = 0;
    for (let b = 0; b < n; b++) {
      const refCount = this.refCounts[b]!;
      if (refCount > 0) numUsedBlocks++;
      if (refCount !== references[b]) refCountMismatches.push({ blockId: b, refCount, references: references[b]! });
      if (references[b] === 0 && !this.free.has(b)) orphanedBlocks.push(b);
      if ((refCount === 0) !== this.free.has(b)) problems.push(`block ${b}: ref count ${refCount} but free=${this.free.has(b)}`);
      const h = this.hashOf[b]!;
      if (h !== null && this.cache.get(h) !== b) problems.push(`block ${b}: hash ${h} not mapped to it`);
    }
    for (const [h, b] of this.cache) if (this.hashOf[b] !== h) problems.push(`cache ${h} → block ${b} holding ${this.hashOf[b]}`);
    const numFreeBlocks = this.free.length;
    if (this.free.toArray().length !== numFreeBlocks) problems.push('free queue length differs from its links');
    if (numFreeBlocks + numUsedBlocks !== n) problems.push(`free ${numFreeBlocks} + used ${numUsedBlocks} ≠ total ${n}`);
    const ok = orphanedBlocks.length === 0 && refCountMismatches.length === 0 && problems.length === 0;
    return { numTotalBlocks: n, numFreeBlocks, numUsedBlocks, orphanedBlocks, refCountMismatches, problems, ok };
  }

  /** Free block ids front (next evicted) to back — for tests. */
  evictionOrder(): number[] {
    return this.free.toArray();
  }

  private emit(data: KvCacheEventData): void {
    this.onKvEvent({ workerId: this.workerId, eventId: ++this.lastEventId, data });
  }
}
