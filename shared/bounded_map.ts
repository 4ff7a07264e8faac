/** An insertion-ordered `Map` that holds at most a given number of entries, dropping its oldest for a new one. */

/**
 * A `Map` of at most `limit` entries: setting a new key when it is full first deletes the oldest (the key set
 * longest ago; setting a key it holds does not move it, deleting and setting it again does).
 *
 * Eviction reads the oldest key from a cursor kept between evictions: a fresh `keys()` would skip every deleted slot
 * at the front of V8's table each time, which made evicting one entry per new one quadratic. But V8 keeps every table
 * a `Map` outgrows or compacts for as long as an iterator made before it lives, so a cursor left idle while keys come
 * and go holds one more stale table at each rehash: a trace's pid-keyed maps, whose keys churn without ever filling
 * them (pids are reused), grew without end that way. The cursor is therefore made at the first eviction and
 * dropped once `limit` new keys have been set without one: the stale tables it holds are those of at most that many
 * keys coming and going (up to several tables of the map's size), and a fresh cursor's first read, which skips the
 * table's deleted slots, comes at most once per `limit` new keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BoundedMap } from "./bounded_map.ts";
 * const m = new BoundedMap<number, string>(2);
 * m.set(1, "a").set(2, "b").set(3, "c");
 * assert.deepEqual([...m.keys()], [2, 3]);
 * ```
 */
export class BoundedMap<K, V> {
  readonly limit: number;
  #map = new Map<K, V>();
  #cursor: MapIterator<K> | null = null;
  /** New keys set without an eviction since the last eviction, or since the cursor was dropped. */
  #added = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`A bounded map's limit must be 1 or more, not ${limit}`);
    }
    this.limit = limit;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    return this.#map.get(key);
  }

  has(key: K): boolean {
    return this.#map.has(key);
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  /** Sets `key`; a new key in a full map first deletes the oldest. */
  set(key: K, value: V): this {
    const map = this.#map;
    if (!map.has(key)) {
      if (map.size >= this.limit) {
        map.delete(this.#oldest());
        this.#added = 0;
      } else if (++this.#added >= this.limit) {
        this.#cursor = null;
        this.#added = 0;
      }
    }
    map.set(key, value);
    return this;
  }

  /** The keys, oldest first. */
  keys(): MapIterator<K> {
    return this.#map.keys();
  }

  /**
   * Only evictions advance the cursor, each deleting the key it returned, so every key the map holds lies after it,
   * oldest first (a `Map` iterator also sees keys set after it was made); the map is full, so there is one. Were the
   * cursor ever done all the same, a finished iterator stays finished: a fresh one is made rather than evict nothing.
   */
  #oldest(): K {
    this.#cursor ??= this.#map.keys();
    let next = this.#cursor.next();
    if (next.done) {
      this.#cursor = this.#map.keys();
      next = this.#cursor.next();
    }
    return next.value as K;
  }
}
