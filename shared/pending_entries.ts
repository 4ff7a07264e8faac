/** kprobe entries waiting for their return, kept in flat arrays so that thousands of them cost no garbage. */

import { IntMap } from "./int_map.ts";
import type { EntryRecord } from "./parse_line.ts";

// Numeric fields of an entry stored in a slot: ts, pid, tid, ppid, uid, euid, cap, opts, sys, userns, targetNs.
const WIDTH = 11;
const COMMS_MAX = 4096;

/**
 * A bounded map from thread id to the entry it is inside, oldest first. An entry often waits for tens of thousands
 * of others (a return that never comes); stored as an object it would outlive the young generation and pile up as
 * old garbage, so its fields live in typed arrays instead, and equal comms share one string.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PendingEntries } from "./pending_entries.ts";
 * const p = new PendingEntries(2);
 * p.set({ kind: "entry", ts: 1, pid: 7, tid: 8, ppid: 1, uid: 0, euid: 0, cap: 13, opts: 0, sys: 41,
 *   userns: 1, targetNs: 1, ra: 0n, cs: 0n, comm: "ping" });
 * assert(p.take(8)?.comm === "ping");
 * assert(p.size === 0);
 * ```
 */
export class PendingEntries {
  readonly #max: number;
  // tid → slot, oldest first. (A Map rebuilt its table every few thousand entries under this churn: garbage.)
  #slots = new IntMap();
  #nums = new Float64Array(0);
  #addrs = new BigUint64Array(0);
  #comms: string[] = [];
  #free: number[] = [];
  #shared = new Map<string, string>();

  /** At most `max` entries; `set` reports when that forces the oldest out. */
  constructor(max: number) {
    this.#max = max;
  }

  /** Number of entries waiting. */
  get size(): number {
    return this.#slots.size;
  }

  /**
   * Keep `rec` until its tid returns. Returns how many entries it pushed out: one of the same tid that never
   * returned, and the oldest one when more than `max` are waiting.
   */
  set(rec: EntryRecord): number {
    let dropped = 0;
    const old = this.#slots.get(rec.tid);
    if (old !== undefined) {
      this.#slots.delete(rec.tid);
      this.#free.push(old);
      dropped++;
    }
    const slot = this.#free.pop() ?? this.#grow();
    const at = slot * WIDTH;
    const nums = this.#nums;
    // Field by field: a loop over the names made each store a keyed lookup.
    nums[at] = rec.ts;
    nums[at + 1] = rec.pid;
    nums[at + 2] = rec.tid;
    nums[at + 3] = rec.ppid;
    nums[at + 4] = rec.uid;
    nums[at + 5] = rec.euid;
    nums[at + 6] = rec.cap;
    nums[at + 7] = rec.opts;
    nums[at + 8] = rec.sys;
    nums[at + 9] = rec.userns;
    nums[at + 10] = rec.targetNs;
    this.#addrs[2 * slot] = rec.ra;
    this.#addrs[2 * slot + 1] = rec.cs;
    this.#comms[slot] = this.#share(rec.comm);
    this.#slots.set(rec.tid, slot);
    if (this.#slots.size > this.#max) {
      this.#dropOldest();
      dropped++;
    }
    return dropped;
  }

  /** The entry `tid` is inside, removed; undefined when there is none. */
  take(tid: number): EntryRecord | undefined {
    const slot = this.#slots.get(tid);
    if (slot === undefined) return undefined;
    this.#slots.delete(tid);
    this.#free.push(slot);
    const n = this.#nums;
    const at = slot * WIDTH;
    return {
      kind: "entry",
      ts: n[at]!,
      pid: n[at + 1]!,
      tid: n[at + 2]!,
      ppid: n[at + 3]!,
      uid: n[at + 4]!,
      euid: n[at + 5]!,
      cap: n[at + 6]!,
      opts: n[at + 7]!,
      sys: n[at + 8]!,
      userns: n[at + 9]!,
      targetNs: n[at + 10]!,
      ra: this.#addrs[2 * slot]!,
      cs: this.#addrs[2 * slot + 1]!,
      comm: this.#comms[slot]!,
    };
  }

  #dropOldest(): void {
    const tid = this.#slots.oldest()!;
    this.#free.push(this.#slots.get(tid)!);
    this.#slots.delete(tid);
  }

  /** A new slot, doubling the arrays when they are full (up to room for `max` + 1 entries). */
  #grow(): number {
    const used = this.#comms.length;
    if (used * WIDTH === this.#nums.length) {
      const room = Math.min(Math.max(64, used * 2), this.#max + 1);
      const nums = new Float64Array(room * WIDTH);
      nums.set(this.#nums);
      this.#nums = nums;
      const addrs = new BigUint64Array(room * 2);
      addrs.set(this.#addrs);
      this.#addrs = addrs;
    }
    this.#comms.push("");
    return used;
  }

  #share(comm: string): string {
    const known = this.#shared.get(comm);
    if (known !== undefined) return known;
    if (this.#shared.size >= COMMS_MAX) this.#shared.clear();
    this.#shared.set(comm, comm);
    return comm;
  }
}
