// ApproxIndexer (Dynamo --no-kv-events): predicts each worker's prefix cache from the router's own
// decisions. A routed prompt's blocks are assumed cached on the chosen worker for `ttlMs`, at most
// `maxBlocksPerWorker` per worker (oldest dropped first). Invariant: each worker's map is in
// expiry order (refresh = delete + re-insert), so expiry and the cap only ever pop the front.

import type { BlockHash } from '@mini-dynamo/protocol';
import { BlockOwners } from './block-owners.js';
import { WorkerSlots } from './worker-slots.js';
import type { PrefixIndex, WorkerMatches } from './prefix-index.js';

export interface ApproxIndexerOptions {
  ttlMs?: number;
  maxBlocksPerWorker?: number;
  now?: () => number;
}

export const DEFAULT_APPROX_TTL_MS = 120_000;
export const DEFAULT_APPROX_MAX_BLOCKS = 100_000;

export class ApproxIndexer implements PrefixIndex {
  private readonly owners = new BlockOwners();
  /** Per worker: hash → expiry time (ms), in expiry order. */
  private readonly slots = new WorkerSlots<Map<BlockHash, number>>();
  private readonly ttlMs: number;
  private readonly maxBlocks: number;
  private readonly now: () => number;

  constructor(options: ApproxIndexerOptions = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_APPROX_TTL_MS;
    this.maxBlocks = options.maxBlocksPerWorker ?? DEFAULT_APPROX_MAX_BLOCKS;
    this.now = options.now ?? Date.now;
  }

  addWorker(workerId: string): void {
    this.slots.add(workerId, new Map());
  }

  removeWorker(workerId: string): void {
    this.clearWorker(workerId);
    this.slots.delete(workerId);
  }

  /** Forget every prediction for this worker (its cache was reset); the worker stays registered. */
  clearWorker(workerId: string): void {
    const entry = this.slots.get(workerId);
    if (!entry) return;
    for (const h of entry.state.keys()) this.owners.delete(h, entry.slot);
    entry.state.clear();
  }

  workerIds(): string[] {
    return this.slots.workerIds();
  }

  numBlocks(workerId: string): number {
    const entry = this.slots.get(workerId);
    if (!entry) return 0;
    this.expire(entry.slot, entry.state, this.now());
    return entry.state.size;
  }

  /** The router sent these blocks to this worker: assume it caches them from now on. */
  recordRouting(workerId: string, blockHashes: readonly BlockHash[]): void {
    const entry = this.slots.get(workerId) ?? this.slots.add(workerId, new Map());
    const now = this.now();
    const expiry = now + this.ttlMs;
    const held = entry.state;
    for (const h of blockHashes) {
      if (held.delete(h)) held.set(h, expiry);
      else if (this.owners.add(h, entry.slot)) held.set(h, expiry);
    }
    this.expire(entry.slot, held, now);
    while (held.size > this.maxBlocks) this.dropOldest(entry.slot, held);
  }

  findMatches(blockHashes: readonly BlockHash[]): WorkerMatches {
    const now = this.now();
    const alive = (h: BlockHash, slot: number): boolean => {
      const expiry = this.slots.stateAt(slot)?.get(h);
      return expiry !== undefined && expiry > now;
    };
    return this.slots.toWorkerIds(this.owners.matchPrefix(blockHashes, alive));
  }

  private expire(slot: number, held: Map<BlockHash, number>, now: number): void {
    for (const [h, expiry] of held) {
      if (expiry > now) return;
      held.delete(h);
      this.owners.delete(h, slot);
    }
  }

  private dropOldest(slot: number, held: Map<BlockHash, number>): void {
    const oldest = held.keys().next().value as BlockHash;
    held.delete(oldest);
    this.owners.delete(oldest, slot);
  }
}
