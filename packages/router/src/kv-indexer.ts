// KvIndexer: what each worker's prefix cache holds, learnt from its KV events (stored / removed /
// cleared) and snapshots. Invariants: events apply in eventId order per worker (+1 each); a gap,
// or a first event that is not a stream start (eventId 0 or 1), asks that worker for a resync and
// buffers later events until the snapshot lands (asked again after resyncRetryMs, on the next event or
// findMatches: a lost reply never leaves a worker stale for good); malformed / stale / unknown-worker events are
// counted and skipped, never thrown.

import type { BlockHash, KvCacheEvent, KvCacheSnapshot } from '@mini-dynamo/protocol';
import { BlockOwners } from './block-owners.js';
import { WorkerSlots } from './worker-slots.js';
import { isWellFormedEvent, isWellFormedSnapshot, type BadEventReason } from './kv-event-check.js';
import type { PrefixIndex, WorkerMatches } from './prefix-index.js';

export interface KvIndexerOptions {
  /** Called when a worker's event stream has a gap: the worker should answer with a snapshot. */
  requestResync?: (workerId: string) => void;
  /** Events kept per worker while a resync is pending (beyond: re-request, drop the buffer). */
  maxBufferedEvents?: number;
  /** A pending resync is asked for again after this long (ms), on the next event or findMatches. */
  resyncRetryMs?: number;
  now?: () => number;
}

export interface KvIndexerStats {
  numEventsApplied: number;
  numBlocksStored: number;
  numBlocksRemoved: number;
  numGaps: number;
  numResyncRequests: number;
  numSnapshotsApplied: number;
  badEvents: Record<BadEventReason, number>;
}

interface WorkerIndexState {
  blocks: Set<BlockHash>;
  lastEventId: number | null;
}

/** A resync asked for and not yet answered: when it was (last) asked, and the events held back. */
interface PendingResync {
  requestedAtMs: number;
  buffered: KvCacheEvent[];
}

export class KvIndexer implements PrefixIndex {
  private readonly owners = new BlockOwners();
  private readonly slots = new WorkerSlots<WorkerIndexState>();
  /** Workers whose resync is pending (findMatches checks only these, usually none). */
  private readonly resyncs = new Map<string, PendingResync>();
  private readonly now: () => number;
  private readonly counters: KvIndexerStats = {
    numEventsApplied: 0, numBlocksStored: 0, numBlocksRemoved: 0, numGaps: 0,
    numResyncRequests: 0, numSnapshotsApplied: 0,
    badEvents: { malformed: 0, unknown_worker: 0, stale: 0, buffer_overflow: 0 },
  };

  constructor(private readonly options: KvIndexerOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  addWorker(workerId: string): void {
    this.slots.add(workerId, { blocks: new Set(), lastEventId: null });
  }

  removeWorker(workerId: string): void {
    const entry = this.slots.delete(workerId);
    this.resyncs.delete(workerId);
    if (entry) this.dropBlocks(entry.slot, entry.state);
  }

  workerIds(): string[] {
    return this.slots.workerIds();
  }

  numBlocks(workerId: string): number {
    return this.slots.get(workerId)?.state.blocks.size ?? 0;
  }

  /** Distinct block hashes held by any worker. */
  get numUniqueBlocks(): number {
    return this.owners.numHashes;
  }

  findMatches(blockHashes: readonly BlockHash[]): WorkerMatches {
    if (this.resyncs.size > 0) this.retryOverdueResyncs();
    return this.slots.toWorkerIds(this.owners.matchPrefix(blockHashes));
  }

  stats(): KvIndexerStats {
    return { ...this.counters, badEvents: { ...this.counters.badEvents } };
  }

  applyEvent(event: KvCacheEvent): void {
    if (!isWellFormedEvent(event)) return this.countBad('malformed');
    const entry = this.slots.get(event.workerId);
    if (!entry) return this.countBad('unknown_worker');
    const resync = this.resyncs.get(event.workerId);
    if (resync) return this.bufferDuringResync(event.workerId, resync, event);
    const st = entry.state;
    if (st.lastEventId !== null && event.eventId <= st.lastEventId) return this.countBad('stale');
    const expected = st.lastEventId === null ? event.eventId <= 1 : event.eventId === st.lastEventId + 1;
    if (!expected) {
      this.counters.numGaps++;
      this.resyncs.set(event.workerId, { requestedAtMs: this.now(), buffered: [event] });
      return this.askResync(event.workerId);
    }
    this.apply(entry.slot, st, event);
  }

  applySnapshot(snapshot: KvCacheSnapshot): void {
    if (!isWellFormedSnapshot(snapshot)) return this.countBad('malformed');
    const entry = this.slots.get(snapshot.workerId);
    if (!entry) return this.countBad('unknown_worker');
    const st = entry.state;
    this.dropBlocks(entry.slot, st);
    for (const h of snapshot.blockHashes) if (this.owners.add(h, entry.slot)) st.blocks.add(h);
    st.lastEventId = snapshot.lastEventId;
    this.counters.numSnapshotsApplied++;
    const buffered = this.resyncs.get(snapshot.workerId)?.buffered ?? [];
    this.resyncs.delete(snapshot.workerId);
    buffered.sort((a, b) => a.eventId - b.eventId);
    for (const e of buffered) if (e.eventId > snapshot.lastEventId) this.applyEvent(e);
  }

  private bufferDuringResync(workerId: string, resync: PendingResync, event: KvCacheEvent): void {
    const max = this.options.maxBufferedEvents ?? 10_000;
    if (resync.buffered.length >= max) {
      this.countBad('buffer_overflow');
      resync.buffered = [];
      resync.requestedAtMs = this.now();
      return this.askResync(workerId);
    }
    resync.buffered.push(event);
    this.retryIfOverdue(workerId, resync);
  }

  private retryOverdueResyncs(): void {
    for (const [workerId, resync] of this.resyncs) this.retryIfOverdue(workerId, resync);
  }

  private retryIfOverdue(workerId: string, resync: PendingResync): void {
    if (this.now() - resync.requestedAtMs < (this.options.resyncRetryMs ?? 2000)) return;
    resync.requestedAtMs = this.now();
    this.askResync(workerId);
  }

  private askResync(workerId: string): void {
    this.counters.numResyncRequests++;
    try {
      this.options.requestResync?.(workerId);
    } catch {
      // a failing transport must not break indexing; the retry timer asks again
    }
  }

  private apply(slot: number, st: WorkerIndexState, event: KvCacheEvent): void {
    st.lastEventId = event.eventId;
    this.counters.numEventsApplied++;
    const d = event.data;
    if (d.type === 'stored') {
      for (const b of d.blocks) {
        if (this.owners.add(b.blockHash, slot)) st.blocks.add(b.blockHash);
        this.counters.numBlocksStored++;
      }
    } else if (d.type === 'removed') {
      for (const h of d.blockHashes) {
        if (st.blocks.delete(h)) this.owners.delete(h, slot);
        this.counters.numBlocksRemoved++;
      }
    } else {
      this.dropBlocks(slot, st);
    }
  }

  /** Forget every block the worker holds (cleared event, snapshot, removal). */
  private dropBlocks(slot: number, st: WorkerIndexState): void {
    for (const h of st.blocks) this.owners.delete(h, slot);
    st.blocks.clear();
  }

  private countBad(reason: BadEventReason): void {
    this.counters.badEvents[reason]++;
  }
}
