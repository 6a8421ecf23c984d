// Property test: random allocate / append / free / preempt / abort / cache-reset sequences on a small pool keep every
// allocator invariant (audit), the prefix cache agrees with a replay of its KV events, and every prefix
// hit hands out blocks that really hold the sequence's tokens (a shadow KV store checks contents).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { blockHash, hashSeed, type BlockHash, type KvCacheEvent, type StoredBlock } from '@mini-dynamo/protocol';
import { BlockAllocator } from './block-allocator.js';
import { Sequence } from './sequence.js';
import { makeRequest } from './request-fixtures.js';

const BS = 4;
const NUM_BLOCKS = 12;

type Op =
  | { kind: 'add'; family: number; length: number; salt: boolean }
  | { kind: 'append'; pick: number; numTokens: number }
  | { kind: 'free'; pick: number }
  | { kind: 'preempt'; pick: number }
  | { kind: 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('add' as const), family: fc.nat(2), length: fc.integer({ min: 1, max: 30 }), salt: fc.boolean() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('append' as const), pick: fc.nat(), numTokens: fc.integer({ min: 1, max: 9 }) }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('preempt' as const), pick: fc.nat() }), weight: 4 },
  { arbitrary: fc.constant({ kind: 'clear' as const }), weight: 1 },
);

/** A stored event is self-consistent: each block hash = protocol hash of (previous hash, its tokens). */
function chainsFrom(parentHash: BlockHash | null, blocks: StoredBlock[]): boolean {
  return [hashSeed(null), hashSeed('salt')].some((seed) => {
    let parent = parentHash;
    return blocks.every((b) => b.tokenIds.length === BS && (parent = blockHash(parent, b.tokenIds, seed)) === b.blockHash);
  });
}

class World {
  readonly events: KvCacheEvent[] = [];
  readonly allocator = new BlockAllocator({ workerId: 'p', numBlocks: NUM_BLOCKS, blockSize: BS, enablePrefixCaching: true, onKvEvent: (e) => this.events.push(e) });
  readonly live: Sequence[] = [];
  /** What each physical slot holds, written when tokens are "computed". */
  readonly shadow = new Int32Array(NUM_BLOCKS * BS).fill(-1);
  private nextId = 1;

  add(op: Extract<Op, { kind: 'add' }>): void {
    const prompt = Array.from({ length: op.length }, (_, i) => (i < 12 ? op.family * 10 + (i % 3) : i * 31 + this.nextId));
    const seq = new Sequence(this.nextId, makeRequest(`r${this.nextId++}`, prompt, {}, op.salt ? 'salt' : null), BS);
    if (this.admit(seq)) this.live.push(seq);
  }

  /** Prefix hits + blocks for the whole sequence, then compute; false (and no blocks) when short. */
  admit(seq: Sequence): boolean {
    const hits = this.allocator.cachedPrefix(seq, Math.floor((seq.numTokens - 1) / BS));
    for (let i = 0; i < hits.length; i++) this.assertHolds(hits[i]!, seq.blockTokenIds(i));
    if (!this.allocator.allocate(seq, seq.numTokens, hits)) return false;
    seq.numComputedTokens = hits.length * BS;
    this.compute(seq, seq.numTokens - seq.numComputedTokens);
    return true;
  }

  append(seq: Sequence, numTokens: number): void {
    const before = seq.numTokens;
    for (let i = 0; i < numTokens; i++) seq.appendToken((before + i) % 5);
    if (this.allocator.allocate(seq, seq.numTokens)) this.compute(seq, numTokens);
    else this.preempt(seq);
  }

  free(seq: Sequence): void {
    this.allocator.release(seq);
    this.live.splice(this.live.indexOf(seq), 1);
  }

  preempt(seq: Sequence): void {
    this.allocator.release(seq);
    seq.numComputedTokens = 0;
    if (!this.admit(seq)) this.live.splice(this.live.indexOf(seq), 1);
  }

  check(): void {
    const audit = this.allocator.audit(this.live.map((s) => s.blockTable));
    assert.ok(audit.ok, JSON.stringify(audit));
    assert.equal(audit.numFreeBlocks + audit.numUsedBlocks, NUM_BLOCKS);
    const replayed = new Set<BlockHash>();
    this.events.forEach((e, i) => {
      assert.equal(e.eventId, i + 1);
      if (e.data.type === 'stored') {
        assert.ok(chainsFrom(e.data.parentHash, e.data.blocks), 'stored blocks chain from their parent hash');
        e.data.blocks.forEach((b) => replayed.add(b.blockHash));
      }
      if (e.data.type === 'removed') e.data.blockHashes.forEach((h) => assert.ok(replayed.delete(h), 'removed an unknown hash'));
      if (e.data.type === 'cleared') replayed.clear();
    });
    const snapshot = this.allocator.snapshot();
    assert.deepEqual(new Set(snapshot.blockHashes), replayed);
    assert.equal(snapshot.lastEventId, this.events.length);
  }

  private compute(seq: Sequence, numTokens: number): void {
    for (let p = seq.numComputedTokens; p < seq.numComputedTokens + numTokens; p++) {
      this.shadow[seq.blockTable[Math.floor(p / BS)]! * BS + (p % BS)] = seq.tokenIds[p]!;
    }
    seq.numComputedTokens += numTokens;
    this.allocator.commitFullBlocks(seq, Math.floor(seq.numComputedTokens / BS));
  }

  private assertHolds(blockId: number, tokenIds: number[]): void {
    assert.deepEqual([...this.shadow.subarray(blockId * BS, (blockId + 1) * BS)], tokenIds, `cached block ${blockId} holds other tokens`);
  }
}

test('random allocator operations keep every invariant', () => {
  let numOps = 0;
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 10, maxLength: 60, size: 'max' }), (ops) => {
      const world = new World();
      for (const op of ops) {
        numOps++;
        const seq = op.kind === 'add' || op.kind === 'clear' ? null : world.live[op.pick % Math.max(1, world.live.length)];
        if (op.kind === 'add') world.add(op);
        else if (op.kind === 'clear') world.allocator.clearPrefixCache();
        else if (seq === undefined || seq === null) continue;
        else if (op.kind === 'append') world.append(seq, op.numTokens);
        else if (op.kind === 'free') world.free(seq);
        else world.preempt(seq);
        world.check();
      }
      for (const seq of [...world.live]) world.free(seq);
      world.check();
      assert.equal(world.allocator.numUsedBlocks, 0);
    }),
    { numRuns: 300 },
  );
  assert.ok(numOps > 5000, `ran ${numOps} operations`);
});
