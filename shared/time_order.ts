/**
 * Events put back in time order. bpftrace reads each CPU's buffer in turn, so an event can come out after later
 * events of another CPU: a process's exit before its own last checks on the other CPU. Each event is held until
 * events `holdNs` later have arrived (or the caller takes everything, when the stream is quiet or ends). An event that
 * comes later still, older than one given out as settled (by takeSettled, or by takeAll when the stream was quiet:
 * bpftrace held up between its reads of two CPUs' buffers), is given out late, and widens the hold to twice how late
 * it was (at most `maxHoldNs`), so that the rest of the trace keeps its order. What takeAll gives out otherwise (a
 * busy stream's each read, whose events from other CPUs come later by design) teaches it nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { TimeOrder } from "./time_order.ts";
 * const o = new TimeOrder<string>(10);
 * o.push(100, "exit");
 * o.push(95, "check");
 * o.push(120, "later");
 * assert.deepEqual(o.takeSettled([]), ["check", "exit"]);
 * assert.deepEqual(o.takeAll([]), ["later"]);
 * ```
 */
export class TimeOrder<T> {
  readonly maxHoldNs: number;
  // Sorted by key from #head on; equal keys keep their arrival order.
  #keys: number[] = [];
  #items: T[] = [];
  #head = 0;
  #newest = -Infinity;
  /** The latest time given out as settled so far. */
  #given = -Infinity;
  #holdNs: number;

  constructor(holdNs: number, maxHoldNs = holdNs) {
    this.#holdNs = holdNs;
    this.maxHoldNs = Math.max(holdNs, maxHoldNs);
  }

  /** How long each event is held for older ones: widened by events that came later than that. */
  get holdNs(): number {
    return this.#holdNs;
  }

  /** Events held. */
  get size(): number {
    return this.#keys.length - this.#head;
  }

  /** The latest time pushed so far (-Infinity before any). */
  get newest(): number {
    return this.#newest;
  }

  /** Holds `item`, which happened at `key`. In-order items (the usual case) cost an append. */
  push(key: number, item: T): void {
    if (key > this.#newest) this.#newest = key;
    if (key < this.#given) this.#holdNs = Math.min(this.maxHoldNs, Math.max(this.#holdNs, 2 * (this.#given - key)));
    const keys = this.#keys;
    let at = keys.length;
    while (at > this.#head && keys[at - 1]! > key) at--;
    if (at === keys.length) {
      keys.push(key);
      this.#items.push(item);
    } else {
      keys.splice(at, 0, key);
      this.#items.splice(at, 0, item);
    }
  }

  /** Appends to `out`, in time order, the items at least holdNs older than the newest; returns `out`. */
  takeSettled(out: T[]): T[] {
    return this.#take(this.#newest - this.#holdNs, out, true);
  }

  /**
   * Appends every item to `out` in time order; returns `out`. `settled`: they are given out as settled (the stream
   * has been quiet for the hold), and one that comes later than them widens the hold.
   */
  takeAll(out: T[], settled = false): T[] {
    return this.#take(Infinity, out, settled);
  }

  #take(upTo: number, out: T[], settled: boolean): T[] {
    const keys = this.#keys;
    const items = this.#items;
    let h = this.#head;
    while (h < keys.length && keys[h]! <= upTo) out.push(items[h++]!);
    if (settled && h > this.#head && keys[h - 1]! > this.#given) this.#given = keys[h - 1]!;
    if (h === keys.length) {
      keys.length = 0;
      items.length = 0;
      h = 0;
    } else if (h >= 4096 && h * 2 >= keys.length) {
      keys.splice(0, h);
      items.splice(0, h);
      h = 0;
    }
    this.#head = h;
    return out;
  }
}
