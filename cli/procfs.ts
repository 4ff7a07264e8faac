/** Reading processes from /proc: their state, and the descendants of a process with all their threads. */

/** What /proc says of a pid: gone, exited but not yet reaped (a zombie), a thread of process `tgid`, or running. */
export type ProcessState = { kind: "gone" } | { kind: "zombie" } | { kind: "thread"; tgid: number } | { kind: "alive" };

/** True when the process is gone or a zombie: it has ended, and no exit record of it will come. */
export function hasEnded(state: ProcessState): boolean {
  return state.kind === "gone" || state.kind === "zombie";
}

/** The state of `pid` now. */
export async function processState(pid: number): Promise<ProcessState> {
  return stateFromStatus(pid, await readStatus(pid));
}

/** The text of /proc/PID/status, or null when the process is gone. */
export function readStatus(pid: number): Promise<string | null> {
  return Deno.readTextFile(`/proc/${pid}/status`).catch(() => null);
}

/** processState from the text of /proc/PID/status (null: gone). */
export function stateFromStatus(pid: number, status: string | null): ProcessState {
  if (status === null) return { kind: "gone" };
  const state = /^State:\s*(\S)/m.exec(status)?.[1];
  // A main thread that called pthread_exit shows Z too while its other threads run on: the process is alive.
  const threads = Number(/^Threads:\s*(\d+)/m.exec(status)?.[1] ?? 1);
  if ((state === "Z" || state === "X") && threads <= 1) return { kind: "zombie" };
  const tgid = Number(/^Tgid:\s*(\d+)/m.exec(status)?.[1] ?? pid);
  return tgid !== pid ? { kind: "thread", tgid } : { kind: "alive" };
}

/**
 * The numeric fields of /proc/PID/stat from `indexes`, counted after the comm (0 is the state, 1 the parent pid):
 * the comm may hold spaces and parentheses, so the fields start after its last ")". Null when one is not an integer.
 */
function _statFields(stat: string, indexes: readonly number[]): number[] | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  const f = stat.slice(close + 2).split(" ");
  const out = indexes.map((i) => Number(f[i]));
  return out.every(Number.isInteger) ? out : null;
}

/** The kernel's PF_KTHREAD task flag. */
const PF_KTHREAD = 0x00200000;

/**
 * True when the text of /proc/PID/stat is a kernel thread's (its flags have PF_KTHREAD).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isKernelThread } from "./procfs.ts";
 * assert.ok(isKernelThread("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0"));
 * assert.ok(!isKernelThread("7 (sh) S 1 7 7 0 -1 4194560 0 0"));
 * ```
 */
export function isKernelThread(stat: string): boolean {
  const flags = _statFields(stat, [6])?.[0];
  return flags !== undefined && (flags & PF_KTHREAD) !== 0;
}

/** Parent pid from the text of /proc/PID/stat. */
export function ppidFromStat(stat: string): number | null {
  return _statFields(stat, [1])?.[0] ?? null;
}

/** CPU time used (user and system, in clock ticks) from the text of /proc/PID/stat. */
export function cpuTicksFromStat(stat: string): number | null {
  const f = _statFields(stat, [11, 12]);
  return f === null ? null : f[0]! + f[1]!;
}

/**
 * True when the text of /proc/PID/stat is a stopped process's (state T; not t, a traced one at a syscall stop, which a
 * debugger lets go on).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isStoppedStat } from "./procfs.ts";
 * assert.ok(isStoppedStat("7 (b t) T 1 7 7 0 -1 4194560 0 0"));
 * assert.ok(!isStoppedStat("7 (b) t 1 7 7 0 -1 4194560 0 0"));
 * assert.ok(!isStoppedStat("7 (T) S 1 7 7 0 -1 4194560 0 0"));
 * ```
 */
export function isStoppedStat(stat: string): boolean {
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "T";
}

/** True when process `pid` is stopped (see isStoppedStat); false when it runs or is gone. */
export function processStopped(pid: number): boolean {
  try {
    return isStoppedStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return false;
  }
}

/**
 * True while /proc has an entry for `pid` (a zombie's too): a run named by its pid in a file of its own (see
 * privateTempDir, the offsets' saves) has not yet been killed, and its file is not another's to remove.
 */
export async function pidExists(pid: number | string): Promise<boolean> {
  return await Deno.stat(`/proc/${pid}`).then(() => true, () => false);
}

/** The CPU time `pid` has used so far, in clock ticks, or null when it is gone. */
export function cpuTicks(pid: number): number | null {
  try {
    return cpuTicksFromStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}

/** The terminal fields of /proc/PID/stat: process group, controlling terminal (0: none), its foreground group. */
export interface TerminalFields {
  pgrp: number;
  tty: number;
  tpgid: number;
}

/** terminalFields from the text of /proc/PID/stat; null when it cannot be read. */
export function terminalFromStat(stat: string): TerminalFields | null {
  const f = _statFields(stat, [2, 4, 5]);
  return f === null ? null : { pgrp: f[0]!, tty: f[1]!, tpgid: f[2]! };
}

/** The terminal fields of `pid` now, or null when it is gone. */
export function terminalFields(pid: number | "self"): TerminalFields | null {
  try {
    return terminalFromStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}

/**
 * True when a Ctrl-C typed at captrace's terminal reaches `pid` from the terminal itself: captrace uses the terminal
 * (one of its standard streams is one), is in its foreground process group, and so is `pid`. A SIGINT captrace gets
 * then most likely came from there, and the command has it already (Deno does not tell who sent a signal). Run with
 * every stream redirected (as by a test runner or an editor), captrace is not treated as typed at.
 */
export function terminalSignalsReach(pid: number): boolean {
  if (![Deno.stdin, Deno.stdout, Deno.stderr].some((f) => f.isTerminal())) return false;
  const self = terminalFields("self");
  const other = terminalFields(pid);
  return self !== null && other !== null && self.tty !== 0 && self.pgrp === self.tpgid && other.pgrp === self.pgrp;
}

/**
 * True when one of `pids` in the foreground process group of captrace's terminal catches signal `sig`: a program that
 * handles the Ctrl-C (or Ctrl-\\) typed there itself, as a REPL, a pager or an editor does. One with a child among
 * them does not count: a shell catches SIGINT while it waits for its foreground child, and leaves it to the child.
 */
export function handlesTyped(pids: Iterable<number>, sig: number): boolean {
  const self = terminalFields("self");
  return self !== null && self.tty !== 0 && catchesInGroup(pids, sig, self.tpgid);
}

/**
 * True when one of `pids` in process group `pgrp` catches signal `sig`, as handlesTyped tells it for the terminal's
 * foreground group: one with a child among them does not count.
 */
export function catchesInGroup(pids: Iterable<number>, sig: number, pgrp: number): boolean {
  const fg: { pid: number; ppid: number | null }[] = [];
  for (const pid of new Set(pids)) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      if (terminalFromStat(stat)?.pgrp === pgrp) fg.push({ pid, ppid: ppidFromStat(stat) });
    } catch {
      // gone
    }
  }
  const parents = new Set(fg.map((p) => p.ppid));
  return fg.some(({ pid }) => {
    if (parents.has(pid)) return false;
    try {
      return catches(Deno.readTextFileSync(`/proc/${pid}/status`), sig);
    } catch {
      return false;
    }
  });
}

/**
 * `root` and every process below it, as the kernel's lists of each task's children say now (read at once, with no
 * look at all of /proc); as far as they can be read (a kernel without them gives `root` alone).
 */
export function treeNow(root: number): number[] {
  const tree = [root];
  for (let i = 0; i < tree.length && tree.length < 65536; i++) {
    const pid = tree[i]!;
    try {
      for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
        const children = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
        if (children !== "") tree.push(...children.split(" ").map(Number));
      }
    } catch {
      // gone, or no such lists
    }
  }
  return tree;
}

/** Every process below `root` (not root itself), with its parent. */
export async function descendantsOf(root: number): Promise<{ pid: number; ppid: number }[]> {
  return _below(await _children(), [root]);
}

/** Every process below any of `roots` (not the roots themselves), from one look at /proc. */
export async function descendantsOfAll(roots: readonly number[]): Promise<number[]> {
  return _below(await _children(), roots).map((p) => p.pid);
}

/** Each process's children, by its pid, as /proc says now. */
async function _children(): Promise<Map<number, number[]>> {
  const children = new Map<number, number[]>();
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${e.name}/stat`).catch(() => null);
    const ppid = stat ? ppidFromStat(stat) : null;
    if (ppid === null) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(e.name));
    children.set(ppid, list);
  }
  return children;
}

function _below(children: Map<number, number[]>, roots: readonly number[]): { pid: number; ppid: number }[] {
  const processes: { pid: number; ppid: number }[] = [];
  const todo = roots.flatMap((root) => (children.get(root) ?? []).map((pid) => ({ pid, ppid: root })));
  while (todo.length) {
    const p = todo.pop()!;
    todo.push(...(children.get(p.pid) ?? []).map((pid) => ({ pid, ppid: p.pid })));
    processes.push(p);
  }
  return processes;
}

/**
 * The capabilities in a process's effective set, by number, from the text of /proc/PID/status; null when it has no
 * CapEff line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { effectiveCaps } from "./procfs.ts";
 * assert.deepEqual(effectiveCaps("CapEff:\t0000000000000401\n"), [0, 10]);
 * ```
 */
export function effectiveCaps(status: string): number[] | null {
  return capSet(status, "CapEff");
}

/** The capabilities of a process's `/proc/PID/status` set `field` (CapEff, CapBnd, CapInh…), or null when not there. */
export function capSet(status: string, field: string): number[] | null {
  const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, "m").exec(status)?.[1];
  if (hex === undefined) return null;
  const bits = BigInt(`0x${hex}`);
  const out: number[] = [];
  for (let cap = 0; cap < 64; cap++) if ((bits >> BigInt(cap)) & 1n) out.push(cap);
  return out;
}

/** True when both are known and are one file (device and inode). */
export function sameFile(a: Deno.FileInfo | null, b: Deno.FileInfo | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino;
}

/** True when paths `a` and `b` both lead to one file (`/bin/sh` and `/usr/bin/sh` where /bin links to /usr/bin). */
export async function samePath(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([Deno.stat(a).catch(() => null), Deno.stat(b).catch(() => null)]);
  return sameFile(x, y);
}

/** True when this process's descriptor `fd` is the file `info` describes. */
export async function onOwnFd(fd: number | string, info: Deno.FileInfo | null): Promise<boolean> {
  return sameFile(await Deno.stat(`/proc/self/fd/${fd}`).catch(() => null), info);
}

/** True when a process's `/proc/PID/status` says it catches (`SigCgt`) signal `sig`. */
export function catches(status: string, sig: number): boolean {
  return _bit(status, "SigCgt", sig);
}

/** True when a process's `/proc/PID/status` says it ignores (`SigIgn`) signal `sig`. */
export function ignores(status: string, sig: number): boolean {
  return _bit(status, "SigIgn", sig);
}

function _bit(status: string, field: string, sig: number): boolean {
  const mask = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, "m").exec(status)?.[1];
  return mask !== undefined && ((BigInt("0x" + mask) >> BigInt(sig - 1)) & 1n) === 1n;
}

/**
 * When `pid` started (/proc/PID/stat's starttime, in clock ticks since boot), or null when it has ended (gone, or a
 * zombie, as hasEnded says): with the pid, it names one running process, where a pid alone may have been given to
 * another since.
 */
export async function startTime(pid: number): Promise<number | null> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`).catch(() => null);
  const f = stat === null ? null : _statFields(stat, [17, 19]);
  if (stat === null || f === null) return null;
  const state = stat[stat.lastIndexOf(")") + 2];
  // A main thread that called pthread_exit shows Z too while its other threads run on (see stateFromStatus).
  return (state === "Z" || state === "X") && f[0]! <= 1 ? null : f[1]!;
}
