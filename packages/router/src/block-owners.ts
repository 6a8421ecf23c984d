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
  private scratch = new Int32Array(64);

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
    // Workers still matching live in a reused Int32Array, compacted in place: no allocation per block
    // (an array's `length = 0` would drop its backing store and re-grow it on every block).
    let numActive = this.ownersAt(hashes[0]!, alive);
    const active = this.scratch;
    for (let i = 1; i < hashes.length && numActive > 0; i++) {
      const owners = this.owners.get(hashes[i]!);
      if (owners === undefined) {
        for (let j = 0; j < numActive; j++) result.set(active[j]!, i);
        return result;
      }
      let numNext = 0;
      for (let j = 0; j < numActive; j++) {
        const w = active[j]!;
        if (holds(owners, w) && (alive === undefined || alive(hashes[i]!, w))) active[numNext++] = w;
        else result.set(w, i);
      }
      numActive = numNext;
    }
    for (let j = 0; j < numActive; j++) result.set(active[j]!, hashes.length);
    return result;
  }

  /** Writes the (alive) owners of `hash` to the scratch buffer; returns how many. */
  private ownersAt(hash: BlockHash, alive: ((hash: BlockHash, worker: number) => boolean) | undefined): number {
    const owners = this.owners.get(hash);
    if (owners === undefined) return 0;
    if (typeof owners === 'number') {
      if (alive !== undefined && !alive(hash, owners)) return 0;
      this.scratch[0] = owners;
      return 1;
    }
    if (this.scratch.length < owners.size) this.scratch = new Int32Array(2 * owners.size);
    let n = 0;
    for (const w of owners) if (alive === undefined || alive(hash, w)) this.scratch[n++] = w;
    return n;
  }
}
