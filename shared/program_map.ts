/** Which program each traced process ran, from its exec records and its parent, for the recommendation's setcap lines. */

/** A program as the setcap lines name it. */
export interface ProgramFile {
  /** Its path: what to give setcap. */
  path: string;
  /** True for a script (`#!`): the kernel ignores file capabilities on scripts. */
  script: boolean;
}

/** Most processes remembered; beyond it the oldest are forgotten, and their checks go to the root's program. */
const MAX_PROCESSES = 65536;
/** Most parents followed for one process, so a loop in bad input cannot hang the walk. */
const MAX_DEPTH = 64;

/**
 * Remembers what each process executed and which process is its parent. A process that never executed anything
 * runs its parent's program (a fork); one with no known program runs the root's.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgramMap } from "./program_map.ts";
 * const m = new ProgramMap({ path: "/bin/sh", script: false });
 * m.exec(11, 10, { path: "/usr/bin/ping", script: false });
 * m.parent(12, 11); // a fork of ping
 * assert.equal(m.programOf(12).path, "/usr/bin/ping");
 * assert.equal(m.programOf(99).path, "/bin/sh");
 * ```
 */
export class ProgramMap {
  readonly root: ProgramFile;
  #exec = new Map<number, ProgramFile>();
  #parent = new Map<number, number>();
  #ended = new Set<number>();
  // Where the search for the oldest entry goes on from: the maps are bounded by dropping the oldest, and starting
  // over from the first key each time would cost more the more keys were deleted before it.
  #execOrder = { keys: this.#exec.keys() };
  #parentOrder = { keys: this.#parent.keys() };

  constructor(root: ProgramFile) {
    this.root = root;
  }

  /** `pid`, child of `ppid`, executed `file` (the last exec counts: its checks come after it). */
  exec(pid: number, ppid: number, file: ProgramFile): void {
    this.#reused(pid);
    this.#exec.delete(pid);
    _bounded(this.#exec, pid, file, this.#execOrder);
    this.parent(pid, ppid);
  }

  /** `pid` is a child of `ppid`. Called for every check: costs one lookup once the pid is known. */
  parent(pid: number, ppid: number): void {
    if (this.#ended.size > 0) this.#reused(pid);
    if (ppid > 0 && ppid !== pid && !this.#parent.has(pid)) _bounded(this.#parent, pid, ppid, this.#parentOrder);
  }

  /**
   * `pid` exited. What it ran is kept (its checks are still to be charged), but a process that later gets the same
   * pid starts afresh.
   */
  exited(pid: number): void {
    if (this.#ended.size >= MAX_PROCESSES) this.#ended.clear();
    this.#ended.add(pid);
  }

  /** The program `pid` ran: its own exec, else its nearest ancestor's, else the root's. */
  programOf(pid: number): ProgramFile {
    let p: number | undefined = pid;
    for (let depth = 0; p !== undefined && depth < MAX_DEPTH; depth++) {
      const file = this.#exec.get(p);
      if (file) return file;
      p = this.#parent.get(p);
    }
    return this.root;
  }

  #reused(pid: number): void {
    if (!this.#ended.delete(pid)) return;
    this.#exec.delete(pid);
    this.#parent.delete(pid);
  }
}

function _bounded<V>(map: Map<number, V>, key: number, value: V, order: { keys: MapIterator<number> }): void {
  if (map.size >= MAX_PROCESSES) {
    let next = order.keys.next();
    if (next.done) {
      order.keys = map.keys();
      next = order.keys.next();
    }
    map.delete(next.value!);
  }
  map.set(key, value);
}
