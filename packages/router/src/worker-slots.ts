// Numbers workers so block-owner sets hold small ints instead of strings.
// Invariant: a slot number is never reused, so stale owners can never alias a new worker.

export class WorkerSlots<T> {
  private readonly byId = new Map<string, { slot: number; state: T }>();
  private readonly ids: string[] = [];
  /** By slot; undefined once the worker is deleted. */
  private readonly states: (T | undefined)[] = [];

  get(workerId: string): { slot: number; state: T } | undefined {
    return this.byId.get(workerId);
  }

  add(workerId: string, state: T): { slot: number; state: T } {
    const existing = this.byId.get(workerId);
    if (existing) return existing;
    const entry = { slot: this.ids.length, state };
    this.ids.push(workerId);
    this.states.push(state);
    this.byId.set(workerId, entry);
    return entry;
  }

  delete(workerId: string): { slot: number; state: T } | undefined {
    const entry = this.byId.get(workerId);
    if (!entry) return undefined;
    this.byId.delete(workerId);
    this.states[entry.slot] = undefined;
    return entry;
  }

  /** The state of a live worker by slot (one array read: the prefix walk's per-block check). */
  stateAt(slot: number): T | undefined {
    return this.states[slot];
  }

  workerIds(): string[] {
    return [...this.byId.keys()];
  }

  /** Slot-keyed match counts → workerId-keyed. */
  toWorkerIds(matches: Map<number, number>): Map<string, number> {
    const out = new Map<string, number>();
    for (const [slot, n] of matches) out.set(this.ids[slot]!, n);
    return out;
  }
}
