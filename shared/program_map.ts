/** Which program each traced process ran, from its exec records and its parent, for the recommendation's setcap lines. */

import { IntMap } from "./int_map.ts";
import { BoundedMap } from "./bounded_map.ts";

/** A program as the setcap lines name it. */
export interface ProgramFile {
  /** Its path: what to give setcap. */
  path: string;
  /** True for a script (`#!`): the kernel ignores file capabilities on scripts. */
  script: boolean;
  /**
   * Set when the file is not in captrace's file system but in another mount namespace (a container's): that
   * namespace's inode number; `path` is then the file's path as the processes in it see it.
   */
  mountNs?: number;
  /**
   * Set when `path` is only the name the program was run by, in a root captrace could not look into (a chroot its
   * process had left, or exited from, before captrace looked).
   */
  unplaced?: true;
}

/** What tells two program files apart: their path, the mount namespace it is read in, and whether it was found. */
export function programKey(file: ProgramFile): string {
  // An unplaced name is not this system's file of that path.
  const where = file.mountNs !== undefined ? `mnt:[${file.mountNs}]` : file.unplaced ? "unplaced:" : "";
  return where + file.path;
}

/** True for a process id the kernel can give (1 to 2^31 - 1); anything else in the tracer's output is bad input. */
export function isPid(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 0x7fffffff;
}

/** Most processes remembered; beyond it the oldest are forgotten, and their checks go to the root's program. */
const MAX_PROCESSES = 65536;
/** Most exec marks remembered (see programMarked); beyond it the oldest are forgotten. */
const MAX_MARKS = 1 << 17;
/** The largest pid a kernel gives (PID_MAX_LIMIT); a mark above it is an exec's time. */
const PID_MAX_LIMIT = 1 << 22;
/** Most parents followed for one process, so a loop in bad input cannot hang the walk. */
const MAX_DEPTH = 64;

/**
 * Remembers what each process executed and which process is its parent. A process that never executed anything
 * runs the program its parent ran when it forked; one with no known program runs the root's.
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
  #exec = new BoundedMap<number, ProgramFile>(MAX_PROCESSES);
  // Parents and ended processes are numbers by pid, in typed arrays: thousands of processes, alive for the whole
  // trace as objects, would grow V8's old generation as the trace goes.
  #parent = new IntMap();
  #ended = new IntMap();

  constructor(root: ProgramFile) {
    this.root = root;
  }

  /** `pid`, child of `ppid`, executed `file` (the last exec counts: its checks come after it). */
  exec(pid: number, ppid: number, file: ProgramFile): void {
    if (!isPid(pid)) return;
    this.#reused(pid);
    this.#forked.delete(pid);
    this.#exec.delete(pid);
    this.#exec.set(pid, file);
    this.parent(pid, ppid);
  }

  /**
   * What `pid` itself executed last, if its exec record was shown: not its parent's program, nor that of an earlier
   * process with its pid (ended, or forked anew since).
   */
  ownExec(pid: number): ProgramFile | undefined {
    return this.#ended.get(pid) === undefined ? this.#exec.get(pid) : undefined;
  }

  /** `pid` is a child of `ppid`. */
  parent(pid: number, ppid: number): void {
    if (!isPid(pid)) return;
    if (this.#ended.size > 0) this.#reused(pid);
    if (!isPid(ppid) || ppid === pid || this.#parent.get(pid) !== undefined) return;
    if (this.#parent.size >= MAX_PROCESSES) this.#parent.delete(this.#parent.oldest()!);
    this.#parent.set(pid, ppid);
  }

  /**
   * `pid` is a new process, made by `ppid` (a fork record): whatever an earlier process with its pid ran or descended
   * from is forgotten, even without that one's exit seen. `mark`, the record's mark of the program the parent ran
   * then (see programMarked), names the new process's program until it executes one, whatever the parent executes
   * later and in whichever order their records are read.
   */
  forked(pid: number, ppid: number, mark?: number): void {
    if (!isPid(pid)) return;
    this.#exec.delete(pid);
    this.#parent.delete(pid);
    this.#ended.delete(pid);
    this.#forked.delete(pid);
    this.parent(pid, ppid);
    if (mark === undefined) return;
    // Known now: kept as the process's program, whichever marks are forgotten later. Not yet (its exec record read
    // after this one): the mark, looked up when asked.
    this.#forked.set(pid, this.programMarked(mark) ?? mark);
  }

  // Forked processes' programs, or their marks while not known; apart from execs, so that a server's many workers
  // do not push out the programs processes executed.
  #forked = new BoundedMap<number, ProgramFile | number>(MAX_PROCESSES);

  /**
   * `pid` exited. What it ran is kept (its checks are still to be charged), but a process that later gets the same
   * pid starts afresh.
   */
  exited(pid: number): void {
    if (!isPid(pid)) return;
    if (this.#ended.size >= MAX_PROCESSES) this.#ended.delete(this.#ended.oldest()!);
    this.#ended.set(pid, 1);
  }

  /** True when `pid`'s own exec or its parent is known: its program is more than the root's by default. */
  knows(pid: number): boolean {
    return this.#exec.has(pid) || this.#forked.has(pid) || this.#parent.get(pid) !== undefined;
  }

  /** The program `pid` ran: its own exec, else its nearest ancestor's, else the root's. */
  programOf(pid: number): ProgramFile {
    return this.#executed(pid) ?? this.root;
  }

  /** `pid`'s own exec, else the program its fork record marks, else its nearest ancestor's; undefined for none. */
  #executed(pid: number): ProgramFile | undefined {
    let p: number | undefined = pid;
    for (let depth = 0; p !== undefined && depth < MAX_DEPTH; depth++) {
      const file = this.#exec.get(p);
      if (file) return file;
      const forked = this.#forked.get(p);
      const marked = typeof forked === "number" ? this.programMarked(forked) : forked;
      if (marked) return marked;
      p = this.#parent.get(p);
    }
    return undefined;
  }

  /**
   * The program the kernel marked with `mark` (AggEntry.program, a fork record's mark): the one whose exec record has
   * that time, or the one a process ran when the trace began, marked with its pid. Undefined for a mark not known
   * (yet), or that two execs share.
   */
  programMarked(mark: number): ProgramFile | undefined {
    return (mark <= PID_MAX_LIMIT ? this.#started.get(mark) : this.#marks.get(mark)) ?? undefined;
  }

  // Programs by exec time, the latest MAX_MARKS, null for a time two execs had (on two CPUs in one nanosecond); and
  // by pid the programs of the processes running when the trace began, all of them.
  #marks = new BoundedMap<number, ProgramFile | null>(MAX_MARKS);
  #started = new Map<number, ProgramFile>();

  /**
   * `file` is the program marked `mark`: an exec record's, by its time, as soon as the record is read; or one a
   * process ran when the trace began, by its pid.
   */
  mark(mark: number, file: ProgramFile): void {
    if (mark <= PID_MAX_LIMIT) {
      this.#started.set(mark, file);
      return;
    }
    const had = this.#marks.get(mark);
    this.#marks.set(mark, had === undefined ? file : null);
  }

  #reused(pid: number): void {
    if (!this.#ended.delete(pid)) return;
    this.#exec.delete(pid);
    this.#parent.delete(pid);
    this.#forked.delete(pid);
  }
}
