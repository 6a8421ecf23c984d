import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeBlockHashes, kvEventFromJson, kvEventToJson, type BlockHash, type KvCacheEvent } from '@mini-dynamo/protocol';
import { KvIndexer } from './kv-indexer.js';
import { prefixIndexConformance } from './prefix-index-conformance.js';

const nextId = new Map<string, number>();
function stored(workerId: string, hashes: BlockHash[], eventId?: number): KvCacheEvent {
  const id = eventId ?? (nextId.get(workerId) ?? 0) + 1;
  nextId.set(workerId, id);
  return { workerId, eventId: id, data: { type: 'stored', parentHash: null, blocks: hashes.map((blockHash) => ({ blockHash, tokenIds: [] })) } };
}

prefixIndexConformance('KvIndexer', () => {
  const index = new KvIndexer();
  const ids = new Map<string, number>();
  return {
    index,
    hold(workerId, hashes) {
      const id = (ids.get(workerId) ?? 0) + 1;
      ids.set(workerId, id);
      index.applyEvent({ workerId, eventId: id, data: { type: 'stored', parentHash: null, blocks: hashes.map((blockHash) => ({ blockHash, tokenIds: [] })) } });
    },
  };
});

const prompt = computeBlockHashes(Array.from({ length: 40 }, (_, i) => i), 4);

test('removed and cleared events drop blocks; whole-worker state stays consistent', () => {
  const ix = new KvIndexer();
  ix.addWorker('r1');
  ix.applyEvent(stored('r1', prompt, 1));
  ix.applyEvent({ workerId: 'r1', eventId: 2, data: { type: 'removed', blockHashes: [prompt[5]!] } });
  assert.equal(ix.findMatches(prompt).get('r1'), 5);
  ix.applyEvent({ workerId: 'r1', eventId: 3, data: { type: 'cleared' } });
  assert.equal(ix.findMatches(prompt).size, 0);
  assert.equal(ix.numUniqueBlocks, 0);
  assert.equal(ix.stats().numEventsApplied, 3);
});

test('a gap asks for a resync, buffers later events, and the snapshot + buffered events restore state', () => {
  const asked: string[] = [];
  const ix = new KvIndexer({ requestResync: (w) => asked.push(w) });
  ix.addWorker('g');
  ix.applyEvent(stored('g', prompt.slice(0, 2), 1));
  ix.applyEvent(stored('g', prompt.slice(6, 8), 4)); // 2 and 3 lost
  assert.deepEqual(asked, ['g']);
  ix.applyEvent(stored('g', prompt.slice(8, 10), 5));
  assert.equal(ix.stats().numGaps, 1);
  // the worker answers with everything it holds up to event 4
  ix.applySnapshot({ workerId: 'g', lastEventId: 4, blockHashes: prompt.slice(0, 8) });
  assert.equal(ix.findMatches(prompt).get('g'), 10, 'snapshot (0..7) + buffered event 5 (8..9)');
  ix.applyEvent(stored('g', [prompt[9]!], 6));
  assert.equal(ix.stats().numGaps, 1, 'in order again after the snapshot');
});

test('an unanswered resync is asked for again once overdue, by routing alone (no further events)', () => {
  let nowMs = 0;
  const asked: string[] = [];
  const ix = new KvIndexer({ requestResync: (w) => asked.push(w), resyncRetryMs: 2000, now: () => nowMs });
  ix.addWorker('quiet');
  ix.addWorker('fine');
  ix.applyEvent(stored('quiet', prompt.slice(0, 2), 3)); // first event not a stream start: resync
  assert.deepEqual(asked, ['quiet']);
  nowMs = 1999;
  ix.findMatches(prompt);
  assert.deepEqual(asked, ['quiet'], 'not yet overdue');
  nowMs = 2000;
  ix.findMatches(prompt);
  ix.findMatches(prompt);
  assert.deepEqual(asked, ['quiet', 'quiet'], 'asked once more, then the clock restarts');
  ix.applySnapshot({ workerId: 'quiet', lastEventId: 3, blockHashes: prompt.slice(0, 2) });
  nowMs = 10_000;
  ix.findMatches(prompt);
  assert.deepEqual(asked, ['quiet', 'quiet'], 'answered: no more asks');
  assert.equal(ix.findMatches(prompt).get('quiet'), 2);
});

test('a late-joining router (first event is not a stream start) asks for a resync', () => {
  const asked: string[] = [];
  const ix = new KvIndexer({ requestResync: (w) => asked.push(w) });
  ix.addWorker('late');
  ix.applyEvent(stored('late', prompt.slice(0, 1), 57));
  assert.deepEqual(asked, ['late']);
});

test('duplicates, malformed and unknown-worker events are counted and skipped', () => {
  const ix = new KvIndexer();
  ix.addWorker('d');
  ix.applyEvent(stored('d', prompt.slice(0, 3), 1));
  ix.applyEvent({ workerId: 'd', eventId: 1, data: { type: 'removed', blockHashes: prompt.slice(0, 3) } });
  ix.applyEvent({ workerId: 'd', eventId: 2, data: { type: 'bogus' } } as unknown as KvCacheEvent);
  ix.applyEvent({ workerId: 'd', eventId: 2, data: { type: 'removed', blockHashes: ['x'] } } as unknown as KvCacheEvent);
  ix.applyEvent(null as unknown as KvCacheEvent);
  ix.applyEvent(stored('nobody', prompt, 1));
  const s = ix.stats();
  assert.deepEqual(s.badEvents, { malformed: 3, unknown_worker: 1, stale: 1, buffer_overflow: 0 });
  assert.equal(ix.findMatches(prompt).get('d'), 3);
  ix.applyEvent({ workerId: 'd', eventId: 2, data: { type: 'removed', blockHashes: [prompt[0]!] } });
  assert.equal(ix.findMatches(prompt).size, 0, 'valid event 2 still applies after the bad ones');
});

test('events survive the JSON transport (u64 hashes as strings)', () => {
  const ix = new KvIndexer();
  ix.addWorker('j');
  ix.applyEvent(kvEventFromJson(kvEventToJson(stored('j', prompt, 1))));
  assert.equal(ix.findMatches(prompt).get('j'), prompt.length);
});

test('a resync buffer overflow re-asks and keeps indexing bounded', () => {
  let asks = 0;
  const ix = new KvIndexer({ requestResync: () => asks++, maxBufferedEvents: 3 });
  ix.addWorker('o');
  ix.applyEvent(stored('o', [prompt[0]!], 5));
  for (let i = 6; i < 12; i++) ix.applyEvent(stored('o', [prompt[0]!], i));
  assert.ok(asks >= 2);
  assert.ok(ix.stats().badEvents.buffer_overflow >= 1);
});
