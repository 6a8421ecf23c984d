// Replica sync between gateways (Dynamo's router replica sync): each router publishes its routing
// decisions and finishes so peers add the same predicted load (and, in approximate mode, the same
// predicted cache contents). JSON form carries block hashes as decimal strings.
// Invariant: a router ignores its own events (same routerId).

import type { BlockHash } from '@mini-dynamo/protocol';

export type RouterReplicaEvent =
  | {
      type: 'routed';
      routerId: string;
      requestId: string;
      workerId: string;
      /** Blocks the request adds to the worker's active set (prompt blocks not already there). */
      numNewBlocks: number;
      numPrefillTokens: number;
      /** The prompt's chained block hashes: peers track the same active (and approximate) blocks. */
      blockHashes: BlockHash[];
    }
  | { type: 'finished'; routerId: string; requestId: string };

export function replicaEventToJson(e: RouterReplicaEvent): string {
  return JSON.stringify(e, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
}

export function replicaEventFromJson(text: string): RouterReplicaEvent | null {
  try {
    const e = JSON.parse(text) as RouterReplicaEvent;
    if (typeof e?.routerId !== 'string' || typeof e.requestId !== 'string') return null;
    if (e.type === 'finished') return e;
    if (e.type !== 'routed' || typeof e.workerId !== 'string') return null;
    if (!Number.isFinite(e.numNewBlocks) || !Number.isFinite(e.numPrefillTokens)) return null;
    const hashes = e.blockHashes as unknown as string[];
    if (!Array.isArray(hashes)) return null;
    return { ...e, blockHashes: hashes.map((h) => BigInt(h)) };
  } catch {
    return null;
  }
}
