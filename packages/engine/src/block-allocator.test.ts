// BlockAllocator unit tests: prefix hits, LRU eviction order, KV events and their ids, salts, audit,
// prefix-cache reset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBlockHashes, type KvCacheEvent } from '@mini-dynamo/protocol';
import { BlockAllocator } from './block-allocator.js';
import { FreeBlockQueue } from './free-block-queue.js';
import { Sequence } from './sequence.js';
import { makeRequest, tokens } from './request-fixtures.js';

const BS = 4;

function setup(numBlocks = 8) {
  const events: KvCacheEvent[] = [];
  const allocator = new BlockAllocator({ workerId: 'w', numBlocks, blockSize: BS, enablePrefixCaching: true, onKvEvent: (e) => events.push(e) });
  let nextId = 1;
  const seq = (prompt: number[], salt: string | null = null) => new Sequence(nextId++, makeRequest(`r${nextId}`, prompt, {}, salt), BS);
  /** Allocate with prefix hits and "compute" the whole prompt. */
  const prefill = (s: Sequence) => {
    const hits = allocator.cachedPrefix(s, Math.floor((s.numTokens - 1) / BS));
    assert.ok(allocator.allocate(s, s.numTokens, hits));
    s.numComputedTokens = s.numTokens;
    allocator.commitFullBlocks(s, s.numFullBlocks);
    return hits.length;
  };
  const audit = (...seqs: Sequence[]) => allocator.audit(seqs.map((s) => s.blockTable));
  return { allocator, events, seq, prefill, audit };
}

test('free block queue pops least recently pushed, removes from the middle, pushFront goes first', () => {
  const q = new FreeBlockQueue(5);
  [0, 1, 2, 3].forEach((b) => q.pushBack(b));
  q.remove(2);
  q.pushFront(4);
  assert.deepEqual(q.toArray(), [4, 0, 1, 3]);
  assert.equal(q.popFront(), 4);
  assert.equal(q.length, 3);
  assert.equal(q.has(2), false);
});

test('full blocks are cached with chained protocol hashes and emit one stored event', () => {
  const { allocator, events, seq, prefill, audit } = setup();
  const prompt = tokens(10);
  const a = seq(prompt);
  assert.equal(prefill(a), 0);
  assert.equal(a.blockTable.length, 3);
  const hashes = computeBlockHashes(prompt, BS);
  assert.deepEqual(allocator.snapshot().blockHashes.sort(), [...hashes].sort());
  assert.equal(events.length, 1);
  assert.deepEqual(events[0], {
    workerId: 'w', eventId: 1,
    data: { type: 'stored', parentHash: null, blocks: [{ blockHash: hashes[0], tokenIds: prompt.slice(0, 4) }, { blockHash: hashes[1], tokenIds: prompt.slice(4, 8) }] },
  });
  assert.ok(audit(a).ok);
});

test('a second sequence shares the cached prefix (ref count 2) and a freed prefix is still a hit', () => {
  const { allocator, seq, prefill, audit } = setup();
  const prompt = tokens(10);
  const a = seq(prompt);
  prefill(a);
  const b = seq([...prompt.slice(0, 8), 1, 2, 3]);
  assert.equal(prefill(b), 2);
  assert.deepEqual(b.blockTable.slice(0, 2), a.blockTable.slice(0, 2));
  assert.ok(audit(a, b).ok);
  allocator.release(a);
  allocator.release(b);
  assert.equal(allocator.numUsedBlocks, 0);
  const c = seq(prompt);
  assert.equal(prefill(c), 2, 'freed cached blocks are reused as hits');
  assert.ok(audit(c).ok);
});

test('the last prompt token is always computed, even when the whole prompt is cached', () => {
  const { seq, prefill } = setup();
  const prompt = tokens(8);
  prefill(seq(prompt));
  assert.equal(prefill(seq(prompt)), 1, 'only the first of two full blocks is served from cache');
});

test('a sequence frees deepest blocks first in eviction order; uncached blocks are reused first', () => {
  const { allocator, seq, prefill } = setup(6);
  const a = seq(tokens(10));
  prefill(a);
  const [b0, b1, b2] = a.blockTable;
  allocator.release(a);
  const order = allocator.evictionOrder();
  assert.equal(order[0], b2, 'partial (uncached) block first');
  assert.ok(order.indexOf(b1!) < order.indexOf(b0!), 'deeper cached block evicted before its parent');
});

test('evicting cached blocks emits removed; event ids rise by one from 1', () => {
  const { allocator, events, seq, prefill, audit } = setup(3);
  const a = seq(tokens(12));
  prefill(a);
  allocator.release(a);
  const b = seq(tokens(12, 999));
  prefill(b);
  const removed = events.filter((e) => e.data.type === 'removed').flatMap((e) => (e.data.type === 'removed' ? e.data.blockHashes : []));
  assert.deepEqual(removed.sort(), computeBlockHashes(tokens(12), BS).sort());
  assert.deepEqual(events.map((e) => e.eventId), events.map((_, i) => i + 1));
  assert.equal(allocator.snapshot().lastEventId, events.length);
  assert.ok(audit(b).ok);
});

test('allocate is all-or-nothing when the pool is short', () => {
  const { allocator, seq, audit } = setup(2);
  const a = seq(tokens(20));
  assert.equal(allocator.allocate(a, 20), false);
  assert.deepEqual(a.blockTable, []);
  assert.equal(allocator.numFreeBlocks, 2);
  assert.ok(audit(a).ok);
});

test('a cache salt separates prefix caches', () => {
  const { seq, prefill } = setup();
  const prompt = tokens(9);
  prefill(seq(prompt, 'tenant-a'));
  assert.equal(prefill(seq(prompt, 'tenant-b')), 0);
  assert.equal(prefill(seq(prompt, 'tenant-a')), 2);
});

test('two sequences computing the same block concurrently cache it once', () => {
  const { allocator, events, seq, audit } = setup();
  const prompt = tokens(5);
  const [a, b] = [seq(prompt), seq(prompt)];
  for (const s of [a, b]) assert.ok(allocator.allocate(s, 5));
  for (const s of [a, b]) { s.numComputedTokens = 5; allocator.commitFullBlocks(s, 1); }
  assert.equal(events.length, 1);
  assert.equal(allocator.numCachedBlocks, 1);
  assert.ok(audit(a, b).ok);
});

test('audit reports orphans and ref-count mismatches', () => {
  const { allocator, seq, prefill, audit } = setup();
  const a = seq(tokens(9));
  prefill(a);
  const leaked = a.blockTable.pop()!;
  const report = audit(a);
  assert.equal(report.ok, false);
  assert.deepEqual(report.orphanedBlocks, [leaked]);
  assert.deepEqual(report.refCountMismatches, [{ blockId: leaked, refCount: 1, references: 0 }]);
  assert.equal(report.numFreeBlocks + report.numUsedBlocks, report.numTotalBlocks);
  a.blockTable.push(leaked, leaked);
  assert.deepEqual(audit(a).refCountMismatches, [{ blockId: leaked, refCount: 1, references: 2 }]);
  assert.equal(allocator.numUsedBlocks, 3);
});

test('with prefix caching disabled nothing is cached and no event is emitted', () => {
  const events: KvCacheEvent[] = [];
  const allocator = new BlockAllocator({ workerId: 'w', numBlocks: 4, blockSize: BS, enablePrefixCaching: false, onKvEvent: (e) => events.push(e) });
  const s = new Sequence(1, makeRequest('x', tokens(9)), BS);
  assert.deepEqual(allocator.cachedPrefix(s, 2), []);
  allocator.allocate(s, 9);
  allocator.commitFullBlocks(s, 2);
  assert.equal(events.length, 0);
  assert.equal(allocator.numCachedBlocks, 0);
});

test('clearPrefixCache unmaps blocks in use and free, emits one cleared event; later blocks are stored again', () => {
  const { allocator, events, seq, prefill, audit } = setup(12);
  const prompt = tokens(12);
  const done = seq(tokens(9, 500));
  prefill(done);
  allocator.release(done); // 2 cached blocks now free
  const running = seq(prompt);
  prefill(running); // 3 cached blocks in use
  const numEventsBefore = events.length;
  assert.equal(allocator.clearPrefixCache(), 5);
  assert.equal(allocator.numCachedBlocks, 0);
  assert.deepEqual(allocator.snapshot().blockHashes, []);
  assert.deepEqual(events.slice(numEventsBefore).map((e) => e.data), [{ type: 'cleared' }]);
  assert.equal(allocator.numUsedBlocks, 3, 'the running sequence keeps its blocks');
  assert.ok(audit(running).ok, JSON.stringify(audit(running)));
  // The running sequence fills one more block: stored as usual, its parent no longer cached.
  for (const t of [1, 2, 3, 4]) running.appendToken(t);
  assert.ok(allocator.allocate(running, running.numTokens));
  running.numComputedTokens = running.numTokens;
  allocator.commitFullBlocks(running, running.numFullBlocks);
  const last = events.at(-1)!;
  assert.ok(last.data.type === 'stored' && last.data.parentHash === computeBlockHashes(prompt, BS)[2] && last.data.blocks.length === 1);
  const again = seq(prompt);
  assert.equal(prefill(again), 0, 'the same prompt is a miss after the reset');
  assert.deepEqual(events.map((e) => e.data.type), ['stored', 'stored', 'cleared', 'stored', 'stored']);
  assert.deepEqual(events.map((e) => e.eventId), [1, 2, 3, 4, 5]);
  assert.ok(audit(running, again).ok);
  allocator.release(running);
  allocator.release(again);
  assert.ok(audit().ok);
  assert.equal(allocator.numUsedBlocks, 0);
});

test('clearPrefixCache with prefix caching disabled drops nothing and emits nothing', () => {
  const events: KvCacheEvent[] = [];
  const allocator = new BlockAllocator({ workerId: 'w', numBlocks: 4, blockSize: BS, enablePrefixCaching: false, onKvEvent: (e) => events.push(e) });
  assert.equal(allocator.clearPrefixCache(), 0);
  assert.deepEqual(events, []);
});
