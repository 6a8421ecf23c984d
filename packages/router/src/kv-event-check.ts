// Shape check of a KV event before the indexer applies it: anything malformed is rejected with
// a reason (counted by the indexer), never thrown.

import type { KvCacheEvent, KvCacheSnapshot } from '@mini-dynamo/protocol';

export type BadEventReason = 'malformed' | 'unknown_worker' | 'stale' | 'buffer_overflow';

const isHashList = (v: unknown): boolean => Array.isArray(v) && v.every((h) => typeof h === 'bigint');

export function isWellFormedEvent(event: unknown): event is KvCacheEvent {
  const e = event as KvCacheEvent | null;
  if (e === null || typeof e !== 'object') return false;
  if (typeof e.workerId !== 'string' || !Number.isSafeInteger(e.eventId) || e.eventId < 0) return false;
  const d = e.data as KvCacheEvent['data'] | undefined;
  if (d === null || typeof d !== 'object') return false;
  switch (d.type) {
    case 'stored':
      return (
        (d.parentHash === null || typeof d.parentHash === 'bigint') &&
        Array.isArray(d.blocks) &&
        d.blocks.every((b) => b !== null && typeof b === 'object' && typeof b.blockHash === 'bigint')
      );
    case 'removed':
      return isHashList(d.blockHashes);
    case 'cleared':
      return true;
    default:
      return false;
  }
}

export function isWellFormedSnapshot(s: unknown): s is KvCacheSnapshot {
  const snap = s as KvCacheSnapshot | null;
  return (
    snap !== null &&
    typeof snap === 'object' &&
    typeof snap.workerId === 'string' &&
    Number.isSafeInteger(snap.lastEventId) &&
    isHashList(snap.blockHashes)
  );
}
