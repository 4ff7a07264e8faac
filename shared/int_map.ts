/** An insertion-ordered map from non-negative 31-bit integers to integers, in typed arrays. */

const EMPTY = -1;

/**
 * Maps keys (thread ids) to values (slots) and remembers their order of insertion, without allocating as keys
 * come and go. A `Map` under constant churn rebuilds its whole table every few thousand deletions, and at 65,536
 * keys each rebuild is megabytes of garbage; here lookups probe a typed array (linear probing, deletion by
 * backward shift) and the order is a ring of (key, stamp) pairs, stale ones skipped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IntMap } from "./int_map.ts";
 * const m = new IntMap();
 * m.set(8, 1);
 * m.set(3, 2);
 * assert.equal(m.get(8), 1);
 * assert.equal(m.oldest(), 8);
 * m.delete(8);
 * assert.equal(m.get(8), undefined);
 * assert.equal(m.oldest(), 3);
 * ```
 */
export class IntMap {
  #keys = new Int32Array(64).fill(EMPTY);
  #vals = new Int32Array(64);
  #stamps = new Uint32Array(64);
  #bits = 6;
  #size = 0;
  // The order: a ring of keys and the stamp each had when inserted; an entry whose key is gone or was inserted
  // again since (another stamp) is stale.
  #ringKeys = new Int32Array(64);
  #ringStamps = new Uint32Array(64);
  #head = 0;
  #count = 0;
  #stamp = 0;

  /** Number of keys. */
  get size(): number {
    return this.#size;
  }

  /** The value of `key`, or undefined (always for a key out of range, which `set` refuses). */
  get(key: number): number | undefined {
    const i = this.#find(key);
    return i < 0 ? undefined : this.#vals[i];
  }

  /** Set `key` (a fresh key or an old one) to `value`; it becomes the newest. */
  set(key: number, value: number): void {
    if (!_inRange(key)) throw new RangeError(`Key out of range: ${key}`);
    if ((this.#size + 1) * 2 > this.#keys.length) this.#rehash(this.#keys.length * 2);
    let i = this.#find(key);
    if (i < 0) {
      i = this.#slot(key);
      while (this.#keys[i] !== EMPTY) i = (i + 1) & (this.#keys.length - 1);
      this.#keys[i] = key;
      this.#size++;
    }
    this.#vals[i] = value;
    const stamp = this.#stamp = (this.#stamp + 1) >>> 0;
    this.#stamps[i] = stamp;
    this.#push(key, stamp);
  }

  /** Remove `key`; true if it was there. */
  delete(key: number): boolean {
    let i = this.#find(key);
    if (i < 0) return false;
    const mask = this.#keys.length - 1;
    // Backward shift: pull later keys of the same probe run into the hole, so no tombstones are needed.
    for (let j = (i + 1) & mask; this.#keys[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.#slot(this.#keys[j]!);
      const between = i <= j ? home > i && home <= j : home > i || home <= j;
      if (between) continue;
      this.#keys[i] = this.#keys[j]!;
      this.#vals[i] = this.#vals[j]!;
      this.#stamps[i] = this.#stamps[j]!;
      i = j;
    }
    this.#keys[i] = EMPTY;
    this.#size--;
    return true;
  }

  /** The key inserted longest ago that is still here, or undefined when empty. */
  oldest(): number | undefined {
    while (this.#count > 0) {
      const key = this.#ringKeys[this.#head]!;
      if (this.#live(key, this.#ringStamps[this.#head]!)) return key;
      this.#head = (this.#head + 1) & (this.#ringKeys.length - 1);
      this.#count--;
    }
    return undefined;
  }

  #live(key: number, stamp: number): boolean {
    const i = this.#find(key);
    return i >= 0 && this.#stamps[i] === stamp;
  }

  #push(key: number, stamp: number): void {
    if (this.#count === this.#ringKeys.length) this.#compact();
    const at = (this.#head + this.#count) & (this.#ringKeys.length - 1);
    this.#ringKeys[at] = key;
    this.#ringStamps[at] = stamp;
    this.#count++;
  }

  /** Drop stale ring entries; grow the ring if at least half of it is live. */
  #compact(): void {
    const n = this.#ringKeys.length;
    const live = this.#size * 2 > n ? n * 2 : n;
    const keys = new Int32Array(live);
    const stamps = new Uint32Array(live);
    let kept = 0;
    for (let k = 0; k < this.#count; k++) {
      const at = (this.#head + k) & (n - 1);
      if (!this.#live(this.#ringKeys[at]!, this.#ringStamps[at]!)) continue;
      keys[kept] = this.#ringKeys[at]!;
      stamps[kept++] = this.#ringStamps[at]!;
    }
    this.#ringKeys = keys;
    this.#ringStamps = stamps;
    this.#head = 0;
    this.#count = kept;
  }

  #slot(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> (32 - this.#bits);
  }

  #find(key: number): number {
    // EMPTY (-1) marks a free slot: it, or any key `set` refuses, must never match one.
    if (!_inRange(key)) return -1;
    const mask = this.#keys.length - 1;
    for (let i = this.#slot(key);; i = (i + 1) & mask) {
      const k = this.#keys[i];
      if (k === key) return i;
      if (k === EMPTY) return -1;
    }
  }

  #rehash(capacity: number): void {
    const [keys, vals, stamps] = [this.#keys, this.#vals, this.#stamps];
    this.#keys = new Int32Array(capacity).fill(EMPTY);
    this.#vals = new Int32Array(capacity);
    this.#stamps = new Uint32Array(capacity);
    this.#bits = Math.log2(capacity);
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === EMPTY) continue;
      let j = this.#slot(keys[i]!);
      while (this.#keys[j] !== EMPTY) j = (j + 1) & (capacity - 1);
      this.#keys[j] = keys[i]!;
      this.#vals[j] = vals[i]!;
      this.#stamps[j] = stamps[i]!;
    }
  }
}

/** True for the keys an IntMap holds: integers from 0 to 2^31 - 1. */
function _inRange(key: number): boolean {
  return Number.isInteger(key) && key >= 0 && key <= 0x7fffffff;
}
