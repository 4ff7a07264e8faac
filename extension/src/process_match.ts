/** Reading the process table: entries for the "Attach to Process…" picker, and finding a debugged program's process when its adapter never reports the pid. */

import { basename } from "node:path";

/** A process as read from /proc. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
  /** When it started, in clock ticks since boot (`/proc/PID/stat` field 22); pids wrap, start times do not. */
  start?: number;
}

/** The words of a `/proc/PID/cmdline` (NUL-separated, the last one NUL-terminated). */
export function argvOf(cmdline: string): string[] {
  const argv = cmdline.split("\0");
  if (argv.at(-1) === "") argv.pop();
  return argv;
}

/**
 * Parses `/proc/PID/stat` (comm may contain spaces and parentheses) and `/proc/PID/cmdline` (NUL-separated).
 *
 * @example
 * ```ts
 * import { parseProcEntry } from "./process_match.ts";
 * const p = parseProcEntry("7 (a) b) S 1 7 7", "node\0x.js\0");
 * if (p?.comm !== "a) b" || p.ppid !== 1 || p.argv[1] !== "x.js") throw new Error("unexpected");
 * ```
 */
export function parseProcEntry(
  stat: string,
  cmdline: string,
): ProcessEntry | null {
  const open = stat.indexOf("(");
  const close = stat.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(stat.slice(0, open).trim());
  const rest = stat.slice(close + 2).split(" ");
  const ppid = Number(rest[1]);
  if (!Number.isInteger(pid) || !Number.isInteger(ppid)) return null;
  const argv = argvOf(cmdline);
  const start = Number(rest[19]);
  return { pid, ppid, comm: stat.slice(open + 1, close), argv, ...(Number.isInteger(start) ? { start } : {}) };
}

/**
 * The process that runs `program`, among those not in `before` (the pids that existed when debugging started):
 * one whose argv names the program, preferring the topmost of a chain (a wrapper that exec'd or forked it) so children are followed.
 * Relative argv entries (the JavaScript debugger runs `node ./main.js`) are resolved against `cwdOf(pid)`.
 *
 * @example
 * ```ts
 * import { findProgramProcess } from "./process_match.ts";
 * const procs = [{ pid: 9, ppid: 1, comm: "node", argv: ["node", "/ws/a.js"] }];
 * if (findProgramProcess(procs, "/ws/a.js", new Set()) !== 9) throw new Error("unexpected");
 * ```
 */
export function findProgramProcess(
  processes: readonly ProcessEntry[],
  program: string,
  before: ReadonlySet<number>,
  exclude: ReadonlySet<number> = new Set(),
  cwdOf: (pid: number) => string | null = () => null,
): number | null {
  const base = basename(program);
  const names = (p: ProcessEntry, a: string) => {
    if (a === program || a.endsWith(`=${program}`)) return true;
    if (a.startsWith("/") || (a !== base && !a.endsWith(`/${base}`))) {
      return false;
    }
    const cwd = cwdOf(p.pid);
    return cwd !== null && _join(cwd, a) === program;
  };
  const matches = processes.filter((p) => !before.has(p.pid) && !exclude.has(p.pid) && p.argv.some((a) => names(p, a)));
  const ids = new Set(matches.map((p) => p.pid));
  const top = matches.filter((p) => !ids.has(p.ppid)).sort((a, b) => a.pid - b.pid);
  return top[0]?.pid ?? null;
}

function _join(dir: string, rel: string): string {
  const parts = dir.split("/").filter((x) => x !== "");
  for (const seg of rel.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join("/")}`;
}

/** The label of a process in the picker: pid, comm, and the command line cut to a readable length. */
export function processLabel(
  p: ProcessEntry,
): { label: string; description: string } {
  const cmd = p.argv.join(" ");
  return {
    label: `${p.comm} (${p.pid})`,
    description: cmd.length > 120 ? `${cmd.slice(0, 117)}…` : cmd,
  };
}

/**
 * The inode numbers of the sockets listening on TCP `port`, from the text of /proc/net/tcp or /proc/net/tcp6.
 *
 * @example
 * ```ts
 * import { listeningInodes } from "./process_match.ts";
 * const table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
 *   "   0: 0100007F:2483 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n";
 * if (!listeningInodes(table, 9347).has(4242)) throw new Error("unexpected");
 * ```
 */
export function listeningInodes(table: string, port: number): Set<number> {
  const out = new Set<number>();
  for (const line of table.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    const local = f[1]?.split(":");
    // st 0A: TCP_LISTEN.
    if (f[3] !== "0A" || local === undefined || parseInt(local.at(-1)!, 16) !== port) continue;
    const inode = Number(f[9]);
    if (Number.isInteger(inode) && inode > 0) out.add(inode);
  }
  return out;
}

/** Each process's parent, by pid, for rootAbove. */
export function parentsOf(table: readonly ProcessEntry[]): Map<number, number> {
  return new Map(table.map((p) => [p.pid, p.ppid]));
}

/**
 * The first of `roots` found going up from `pid` through `parent` (see parentsOf), `pid` itself included, or
 * undefined: which trace a process is part of (a run's captrace and all below it, an attached process and its
 * children).
 *
 * @example
 * ```ts
 * import { parentsOf, rootAbove } from "./process_match.ts";
 * const table = [{ pid: 10, ppid: 1, comm: "captrace", argv: [] }, { pid: 11, ppid: 10, comm: "prog", argv: [] }];
 * if (rootAbove(parentsOf(table), 11, new Map([[10, "run 1"]])) !== "run 1") throw new Error("unexpected");
 * ```
 */
export function rootAbove<T>(
  parent: ReadonlyMap<number, number>,
  pid: number,
  roots: ReadonlyMap<number, T>,
): T | undefined {
  const seen = new Set<number>();
  for (let at: number | undefined = pid; at !== undefined && at > 0 && !seen.has(at); at = parent.get(at)) {
    const found = roots.get(at);
    if (found !== undefined) return found;
    seen.add(at);
  }
  return undefined;
}
