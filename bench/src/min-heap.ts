// A binary min-heap keyed by number (the simulation's event queue). Ties pop in insertion order,
// so a simulation run is deterministic.

export class MinHeap<T> {
  private readonly keys: number[] = [];
  private readonly seqs: number[] = [];
  private readonly items: T[] = [];
  private counter = 0;

  get size(): number {
    return this.items.length;
  }

  peekKey(): number | null {
    return this.items.length ? this.keys[0]! : null;
  }

  push(key: number, item: T): void {
    this.keys.push(key);
    this.seqs.push(this.counter++);
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  pop(): { key: number; item: T } | null {
    if (this.items.length === 0) return null;
    const top = { key: this.keys[0]!, item: this.items[0]! };
    const last = this.items.length - 1;
    this.swap(0, last);
    this.keys.pop();
    this.seqs.pop();
    this.items.pop();
    this.down(0);
    return top;
  }

  private less(a: number, b: number): boolean {
    return this.keys[a]! < this.keys[b]! || (this.keys[a] === this.keys[b] && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    [this.keys[a], this.keys[b]] = [this.keys[b]!, this.keys[a]!];
    [this.seqs[a], this.seqs[b]] = [this.seqs[b]!, this.seqs[a]!];
    [this.items[a], this.items[b]] = [this.items[b]!, this.items[a]!];
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
