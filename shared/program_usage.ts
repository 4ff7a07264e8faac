/**
 * Which program asked for which capability, for the setcap lines. The kernel counts checks by pid, and a pid may run
 * several programs (a wrapper script ending in `exec prog`): the checks the stream shows before an exec are charged
 * to the program the process ran until then. Checks of a process that executes nothing later need no charge of
 * their own: its pid's counts are all its program's.
 */

import type { ProgramFile } from "./program_map.ts";

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

/** Per pid, the capabilities its counted checks asked for since its last exec, and before it (bits 0–63). */
interface _PidCaps {
  lo: number;
  hi: number;
  beforeLo: number;
  beforeHi: number;
  /** The process exited: a check by this pid is a new process's. */
  ended: boolean;
}

/** Most pids followed; checks of further pids are charged by pid at the end. */
const MAX_PIDS = 1 << 18;

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
  #pids = new Map<number, _PidCaps>();
  #shares = new Map<string, ProgramShare>();
  #lastPid = -1;
  #last: _PidCaps | undefined;

  /**
   * A check of `cap` by `pid`, counted for the recommendation when `counts`. Returns true the first time `pid` is
   * seen.
   */
  check(pid: number, cap: number, counts = true): boolean {
    // Checks come in bursts from one process: the last one's entry is kept at hand.
    let p = pid === this.#lastPid ? this.#last : this.#pids.get(pid);
    let first = p === undefined;
    if (p === undefined) {
      if (this.#pids.size >= MAX_PIDS) return true;
      p = { lo: 0, hi: 0, beforeLo: 0, beforeHi: 0, ended: false };
      this.#pids.set(pid, p);
    } else if (p.ended) {
      p.ended = false;
      first = true;
    }
    this.#lastPid = pid;
    this.#last = p;
    if (counts) {
      if (cap < 32) p.lo |= 1 << cap;
      else if (cap < 64) p.hi |= 1 << (cap - 32);
    }
    return first;
  }

  /** A broad capability's check by a process running `file`: how it stood (see BroadRole). */
  role(file: ProgramFile, cap: number, role: BroadRole): void {
    const share = this.#share(file);
    (role === "alone" ? share.alone : share.fallback).add(cap);
  }

  /** `pid` exited: its checks since its last exec were `file`'s, and a later process with its pid is another. */
  exited(pid: number, file: ProgramFile): void {
    this.exec(pid, file);
    const p = this.#pids.get(pid);
    if (p !== undefined) p.ended = true;
  }

  /** `pid` executes another program: the checks it made since its last exec were `previous`'s. */
  exec(pid: number, previous: ProgramFile): void {
    const p = this.#pids.get(pid);
    if (p === undefined || (p.lo | p.hi) === 0) return;
    const share = this.#share(previous);
    for (let cap = 0; cap < 64; cap++) if (_has(p.lo, p.hi, cap)) share.caps.add(cap);
    p.beforeLo |= p.lo;
    p.beforeHi |= p.hi;
    p.lo = 0;
    p.hi = 0;
  }

  /**
   * The program to charge the kernel's count of `cap` by `pid` to, given the program the pid runs at the end
   * (`last`): null when its checks came before an exec (or before its process exited) only, and were charged then.
   */
  chargeTo(pid: number, cap: number, last: ProgramFile): ProgramFile | null {
    const p = this.#pids.get(pid);
    if (!this.complete || p === undefined || _has(p.lo, p.hi, cap) || !_has(p.beforeLo, p.beforeHi, cap)) return last;
    return null;
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

  #share(file: ProgramFile): ProgramShare {
    let share = this.#shares.get(file.path);
    if (share === undefined) {
      share = { file, caps: new Set(), alone: new Set(), fallback: new Set() };
      this.#shares.set(file.path, share);
    }
    return share;
  }
}

function _has(lo: number, hi: number, cap: number): boolean {
  return cap < 32 ? (lo & (1 << cap)) !== 0 : cap < 64 && (hi & (1 << (cap - 32))) !== 0;
}
