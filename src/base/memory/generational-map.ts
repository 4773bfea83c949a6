/**
 * GenerationalMap: a map bounded by forgetting, in two generations of `capacity` entries. New and updated entries go
 * into the young generation; when it is full, it becomes the old one (the old one's entries are dropped) and a new
 * young one starts. An entry read often keeps being set again and stays; one set once and never again is gone after
 * two turns. So what many writers repeat stays remembered, and what only one had ages out, whatever the number of
 * writers — the shape the watch cache's value-sharing tables need (segment-table.ts, attribute-layout.ts).
 *
 * Contract: get finds an entry of either generation; set puts it into the young one. At most 2 × capacity entries.
 */
export class GenerationalMap<V> {
  readonly #capacity: number;
  #young = new Map<string, V>();
  #old = new Map<string, V>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Entries remembered, both generations. */
  get size(): number {
    return this.#young.size + this.#old.size;
  }

  get(key: string): V | undefined {
    return this.#young.get(key) ?? this.#old.get(key);
  }

  set(key: string, value: V): void {
    if (!this.#young.has(key) && this.#young.size >= this.#capacity) {
      this.#old = this.#young;
      this.#young = new Map();
    }
    this.#young.set(key, value);
  }
}
