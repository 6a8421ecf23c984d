// JSON forms of what crosses the network between a standalone worker and a gateway: u64 block
// hashes travel as decimal strings; engine events stream as NDJSON (one JSON object per line).

import type { EngineEvent, KvCacheSnapshot } from '@mini-dynamo/protocol';

export function snapshotToJson(snapshot: KvCacheSnapshot): string {
  return JSON.stringify({ ...snapshot, blockHashes: snapshot.blockHashes.map((h) => h.toString()) });
}

export function snapshotFromJson(text: string): KvCacheSnapshot | null {
  try {
    const raw = JSON.parse(text) as { workerId: string; lastEventId: number; blockHashes: string[] };
    if (typeof raw?.workerId !== 'string' || !Array.isArray(raw.blockHashes)) return null;
    return { workerId: raw.workerId, lastEventId: raw.lastEventId, blockHashes: raw.blockHashes.map((h) => BigInt(h)) };
  } catch {
    return null;
  }
}

export function isTerminalEvent(event: EngineEvent): boolean {
  return event.kind === 'finished' || event.kind === 'failed';
}

/** Splits a byte stream into NDJSON values; a partial trailing line waits for more bytes. */
export class NdjsonDecoder {
  private buffered = '';
  private readonly decoder = new TextDecoder();

  push(chunk: Uint8Array): unknown[] {
    this.buffered += this.decoder.decode(chunk, { stream: true });
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop()!;
    return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);
  }
}
