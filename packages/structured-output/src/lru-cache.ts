// A bounded map evicting the least recently used entry (Map iteration order is insertion order).
// Invariant: size never exceeds numMaxEntries; get() refreshes recency.

export class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly numMaxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.numMaxEntries) this.entries.delete(this.entries.keys().next().value as K);
  }
}
