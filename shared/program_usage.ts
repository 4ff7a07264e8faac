/**
 * Which program asked for which capability, for the setcap lines. The kernel counts checks by pid, and a pid may run
 * several programs (a wrapper script ending in `exec prog`): the checks the stream shows before an exec are charged
 * to the program the process ran until then. Checks of a process that executes nothing later need no charge of
 * their own: its pid's counts are all its program's.
 */

import { IntMap } from "./int_map.ts";
import { BoundedMap } from "./bounded_map.ts";
import { isPid, type ProgramFile, programKey } from "./program_map.ts";

/** How a check of a broad capability (CAP_SYS_ADMIN, CAP_DAC_OVERRIDE) stood, as the correlator saw it. */
export type BroadRole = "alone" | "fallback";

/** One program's share: the capabilities charged to it, and how its broad ones stood. */
export interface ProgramShare {
  file: ProgramFile;
  caps: Set<number>;
  /** Broad capabilities checked on their own at least once. */
  alone: Set<number>;
  /** Broad capabilities checked only as a fallback after a denied narrow one, at least once. */
  fallback: Set<number>;
}

/** Most pids followed; checks of further pids are charged by pid at the end. */
const MAX_PIDS = 1 << 18;
/** Most pids whose execs and exits are remembered for checks read after them (see ProgramUsage.earlier). */
const MAX_TURNS = 4096;
/** Most execs and exits remembered per pid. */
const TURNS_PER_PID = 4;

/**
 * Follows the checks that count for the recommendation (audited; not allowed in another user namespace) in time
 * order, with the execs between them. Each check costs one lookup by pid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgramUsage } from "./program_usage.ts";
 * const script = { path: "/opt/run.sh", script: true };
 * const chown = { path: "/usr/bin/chown", script: false };
 * const u = new ProgramUsage();
 * u.check(10, 24); // ulimit in the script
 * u.exec(10, script); // exec chown: what came before was the script's
 * u.check(10, 0);
 * assert.deepEqual([...u.shares()].map((s) => [s.file.path, [...s.caps]]), [["/opt/run.sh", [24]]]);
 * // At the end, the kernel's counts for pid 10: CAP_CHOWN is chown's (its program then), CAP_SYS_RESOURCE charged.
 * assert.equal(u.chargeTo(10, 0, chown), chown);
 * assert.equal(u.chargeTo(10, 24, chown), null);
 * ```
 */
export class ProgramUsage {
  // Per pid, a slot in typed arrays: the capabilities (bits 0–63 in two words) its counted checks asked for since
  // its last exec, those charged at an exec or exit before, whether its process exited, and the pid. Nothing here is
  // an object per pid: thousands of them, alive for the whole trace, would grow V8's old generation as it goes.
  #slots = new IntMap();
  #lo = new Int32Array(64);
  #hi = new Int32Array(64);
  #beforeLo = new Int32Array(64);
  #beforeHi = new Int32Array(64);
  #ended = new Uint8Array(64);
  #pids = new Int32Array(64);
  // The latest execs and exits shown, by pid, oldest first: when, and the program the pid ran until then. Only a
  // check read soon after can be older; the pids that turned longest ago are forgotten (see BoundedMap).
  #turns = new BoundedMap<number, { ts: number; file: ProgramFile | null; exit: boolean }[]>(MAX_TURNS);
  #newestTurn = -1;
  #used = 0;
  #shares = new Map<string, ProgramShare>();
  #lastPid = -1;
  #lastSlot = -1;

  /**
   * A check of `cap` by `pid`, counted for the recommendation when `counts`. Returns true the first time `pid` is
   * seen.
   */
  check(pid: number, cap: number, counts = true): boolean {
    // Checks come in bursts from one process: the last one's slot is kept at hand.
    let slot = pid === this.#lastPid ? this.#lastSlot : this.#slots.get(pid);
    let first = slot === undefined;
    if (slot === undefined) {
      // A pid no kernel gives (bad tracer input) is not followed.
      if (!isPid(pid)) return false;
      if (this.#used >= MAX_PIDS) return true;
      slot = this.#newSlot(pid);
    } else if (this.#ended[slot] === 1) {
      this.#ended[slot] = 0;
      first = true;
    }
    this.#lastPid = pid;
    this.#lastSlot = slot;
    if (counts) _set(this.#lo, this.#hi, slot, cap);
    return first;
  }

  /** A broad capability's check by a process running `file`: how it stood (see BroadRole). */
  role(file: ProgramFile, cap: number, role: BroadRole): void {
    const share = this.#share(file);
    (role === "alone" ? share.alone : share.fallback).add(cap);
  }

  /**
   * `pid` exited at `ts`: its checks since its last exec were `file`'s, and a later process with its pid is another.
   * `known` is false when `file` is only the default for a process whose parent is not known yet (see earlier).
   */
  exited(pid: number, file: ProgramFile, ts = -1, known = true): void {
    this.exec(pid, file, ts, known);
    const slot = this.#slots.get(pid);
    if (slot !== undefined) this.#ended[slot] = 1;
    if (ts >= 0) this.#turns.get(pid)!.at(-1)!.exit = true;
  }

  /** `pid` executes another program at `ts`: the checks it made since its last exec were `previous`'s. */
  exec(pid: number, previous: ProgramFile, ts = -1, known = true): void {
    if (ts >= 0) {
      const turns = this.#turns.get(pid) ?? [];
      this.#turns.delete(pid);
      if (turns.push({ ts, file: known ? previous : null, exit: false }) > TURNS_PER_PID) turns.shift();
      if (ts > this.#newestTurn) this.#newestTurn = ts;
      this.#turns.set(pid, turns);
    }
    const slot = this.#slots.get(pid);
    if (slot === undefined) return;
    const lo = this.#lo[slot]!;
    const hi = this.#hi[slot]!;
    if ((lo | hi) === 0) return;
    const share = this.#share(previous);
    for (const cap of _caps(lo, hi)) share.caps.add(cap);
    this.#beforeLo[slot]! |= lo;
    this.#beforeHi[slot]! |= hi;
    this.#lo[slot] = 0;
    this.#hi[slot] = 0;
  }

  /**
   * When a check of `pid` at `ts` came before the pid's last exec or exit shown (a check read late, from another
   * CPU's buffer, after the record of what the process did next): the program it ran then, null in `file` when that
   * was its parent's, not known at the time. Null when the check is not such a one. A check older than the four
   * turns kept is taken for the oldest's.
   */
  earlier(pid: number, ts: number): { readonly file: ProgramFile | null } | null {
    // Most checks come after every exec and exit read so far: no lookup for them.
    if (!(ts < this.#newestTurn)) return null;
    for (const turn of this.#turns.get(pid) ?? []) if (ts < turn.ts) return turn;
    return null;
  }

  /** True when an exec or exit of `pid` later than `ts` has been shown (a record read late comes after it). */
  turnedAfter(pid: number, ts: number): boolean {
    return (this.#turns.get(pid) ?? []).some((t) => t.ts > ts);
  }

  /** A counted check of `cap` by `pid` made while it ran `file` (see earlier): `file`'s, and charged already. */
  late(pid: number, cap: number, file: ProgramFile): void {
    this.#share(file).caps.add(cap);
    let slot = this.#slots.get(pid);
    if (slot === undefined) {
      if (!isPid(pid) || this.#used >= MAX_PIDS) return;
      slot = this.#newSlot(pid);
      // Its process exited already: a later check of the pid is another process's.
      if (this.#turns.get(pid)?.at(-1)?.exit) this.#ended[slot] = 1;
    }
    _set(this.#beforeLo, this.#beforeHi, slot, cap);
  }

  /**
   * The program to charge the kernel's count of `cap` by `pid` to, given the program the pid runs at the end
   * (`last`): null when its checks came before an exec (or before its process exited) only, and were charged then.
   */
  chargeTo(pid: number, cap: number, last: ProgramFile): ProgramFile | null {
    const slot = this.#slots.get(pid);
    if (!this.complete || slot === undefined) return last;
    if (_has(this.#lo[slot]!, this.#hi[slot]!, cap)) return last;
    return _has(this.#beforeLo[slot]!, this.#beforeHi[slot]!, cap) ? null : last;
  }

  /**
   * False when the stream did not show every check (`--unique` shows a key's first only; events were lost): a
   * check after an exec may then be missing, and what a pid checked before one is charged to its last program too.
   */
  complete = true;

  /** The shares charged so far (before execs, and broad capabilities' roles), in the order first charged. */
  shares(): IterableIterator<ProgramShare> {
    return this.#shares.values();
  }

  /**
   * The capabilities of the counted checks each process made since its last exec, for processes not seen to exit
   * (those of the others were charged at their exec or exit): what the kernel's counts charge at the end (see
   * chargeTo), for when they lack checks.
   */
  *uncharged(): Generator<{ pid: number; caps: number[] }> {
    for (let slot = 0; slot < this.#used; slot++) {
      const lo = this.#lo[slot]!;
      const hi = this.#hi[slot]!;
      if ((lo | hi) !== 0) yield { pid: this.#pids[slot]!, caps: _caps(lo, hi) };
    }
  }

  #newSlot(pid: number): number {
    const slot = this.#used++;
    if (slot === this.#lo.length) {
      this.#lo = _doubled(this.#lo);
      this.#hi = _doubled(this.#hi);
      this.#beforeLo = _doubled(this.#beforeLo);
      this.#beforeHi = _doubled(this.#beforeHi);
      this.#pids = _doubled(this.#pids);
      const ended = new Uint8Array(slot * 2);
      ended.set(this.#ended);
      this.#ended = ended;
    }
    this.#pids[slot] = pid;
    this.#slots.set(pid, slot);
    return slot;
  }

  #share(file: ProgramFile): ProgramShare {
    return shareOf(this.#shares, file);
  }
}

/** The share of `file` in `shares`, keyed by programKey (two records may name one file); made empty when missing. */
export function shareOf(shares: Map<string, ProgramShare>, file: ProgramFile): ProgramShare {
  const key = programKey(file);
  let share = shares.get(key);
  if (share === undefined) {
    share = { file, caps: new Set(), alone: new Set(), fallback: new Set() };
    shares.set(key, share);
  }
  return share;
}

function _doubled(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Sets `cap`'s bit in `slot` of the two words (bits 0–31 in `lo`, 32–63 in `hi`); a larger number has none. */
function _set(lo: Int32Array, hi: Int32Array, slot: number, cap: number): void {
  if (cap < 32) lo[slot]! |= 1 << cap;
  else if (cap < 64) hi[slot]! |= 1 << (cap - 32);
}

function _has(lo: number, hi: number, cap: number): boolean {
  return cap < 32 ? (lo & (1 << cap)) !== 0 : cap < 64 && (hi & (1 << (cap - 32))) !== 0;
}

/** The capabilities whose bits are set in the two words, in order. */
function _caps(lo: number, hi: number): number[] {
  const caps: number[] = [];
  for (let cap = 0; cap < 64; cap++) if (_has(lo, hi, cap)) caps.push(cap);
  return caps;
}
