// KV cache events a worker publishes so routers can index what it holds (Dynamo's KvCacheEvent).
// Invariant: event_id rises by exactly 1 per event per worker; a gap means events were lost and
// the router must ask that worker for a full resync (a `KvCacheSnapshot`).

import type { BlockHash } from './block-hash.js';

export interface StoredBlock {
  blockHash: BlockHash;
  tokenIds: number[];
}

export type KvCacheEventData =
  | { type: 'stored'; parentHash: BlockHash | null; blocks: StoredBlock[] }
  | { type: 'removed'; blockHashes: BlockHash[] }
  | { type: 'cleared' };

export interface KvCacheEvent {
  workerId: string;
  eventId: number;
  data: KvCacheEventData;
}

/** Full dump of a worker's cached block hashes, answering a resync request. */
export interface KvCacheSnapshot {
  workerId: string;
  /** The event id the snapshot is current up to; events after it apply on top. */
  lastEventId: number;
  blockHashes: BlockHash[];
}

/** JSON form: block hashes travel as decimal strings (u64 does not fit a JS number). */
export function kvEventToJson(event: KvCacheEvent): string {
  return JSON.stringify(event, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

export function kvEventFromJson(text: string): KvCacheEvent {
  const raw = JSON.parse(text) as KvCacheEvent;
  const d = raw.data as any;
  if (d?.type === 'stored') {
    d.parentHash = d.parentHash === null ? null : BigInt(d.parentHash);
    for (const b of d.blocks) b.blockHash = BigInt(b.blockHash);
  } else if (d?.type === 'removed') {
    d.blockHashes = d.blockHashes.map((h: string) => BigInt(h));
  }
  return raw;
}
