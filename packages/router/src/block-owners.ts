// A flat map block hash → workers holding it, plus the prefix walk both indexes use.
// Hashes are chained, so a flat map answers prefix queries: walk block by block, keep the
// workers that still hold every block so far, stop as soon as none does.
// Invariant: a worker index appears under a hash at most once; a single owner is a bare number.

import type { BlockHash } from '@mini-dynamo/protocol';

type Owners = number | Set<number>;

function holds(owners: Owners, worker: number): boolean {
  return typeof owners === 'number' ? owners === worker : owners.has(worker);
}

export class BlockOwners {
  private readonly owners = new Map<BlockHash, Owners>();
  private readonly scratchA: number[] = [];
  private readonly scratchB: number[] = [];

  /** Returns true when the worker did not hold the hash before. */
  add(hash: BlockHash, worker: number): boolean {
    const cur = this.owners.get(hash);
    if (cur === undefined) {
      this.owners.set(hash, worker);
      return true;
    }
    if (typeof cur === 'number') {
      if (cur === worker) return false;
      this.owners.set(hash, new Set([cur, worker]));
      return true;
    }
    if (cur.has(worker)) return false;
    cur.add(worker);
    return true;
  }

  /** Returns true when the worker held the hash. */
  delete(hash: BlockHash, worker: number): boolean {
    const cur = this.owners.get(hash);
    if (cur === undefined) return false;
    if (typeof cur === 'number') {
      if (cur !== worker) return false;
      this.owners.delete(hash);
      return true;
    }
    if (!cur.delete(worker)) return false;
    if (cur.size === 1) this.owners.set(hash, cur.values().next().value as number);
    return true;
  }

  get numHashes(): number {
    return this.owners.size;
  }

  /** worker index → leading blocks held; `alive` filters out expired holdings (approximate index). */
  matchPrefix(hashes: readonly BlockHash[], alive?: (hash: BlockHash, worker: number) => boolean): Map<number, number> {
    const result = new Map<number, number>();
    if (hashes.length === 0) return result;
    // Two reused buffers of still-matching workers (swapped per block): no allocation per block.
    let active = this.ownersAt(hashes[0]!, alive, this.scratchA);
    let next = this.scratchB;
    for (let i = 1; i < hashes.length && active.length > 0; i++) {
      const owners = this.owners.get(hashes[i]!);
      if (owners === undefined) {
        for (const w of active) result.set(w, i);
        return result;
      }
      next.length = 0;
      for (let j = 0; j < active.length; j++) {
        const w = active[j]!;
        if (holds(owners, w) && (alive === undefined || alive(hashes[i]!, w))) next.push(w);
        else result.set(w, i);
      }
      const t = active;
      active = next;
      next = t;
    }
    for (const w of active) result.set(w, hashes.length);
    return result;
  }

  private ownersAt(hash: BlockHash, alive: ((hash: BlockHash, worker: number) => boolean) | undefined, out: number[]): number[] {
    out.length = 0;
    const owners = this.owners.get(hash);
    if (owners === undefined) return out;
    if (typeof owners === 'number') {
      if (alive === undefined || alive(hash, owners)) out.push(owners);
      return out;
    }
    for (const w of owners) if (alive === undefined || alive(hash, w)) out.push(w);
    return out;
  }
}
