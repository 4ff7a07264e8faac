/** Reading the process table: entries for the "Attach to Process…" picker, and finding a debugged program's process when its adapter never reports the pid. */

/** A process as read from /proc. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  comm: string;
  argv: string[];
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
  const argv = cmdline.split("\0");
  if (argv.at(-1) === "") argv.pop();
  return { pid, ppid, comm: stat.slice(open + 1, close), argv };
}

/**
 * The process that runs `program`, among those not in `before` (the pids that existed when debugging started):
 * one whose argv names the program, preferring the topmost of a chain (a wrapper that exec'd or forked it) so children are followed.
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
): number | null {
  const matches = processes.filter((p) =>
    !before.has(p.pid) && !exclude.has(p.pid) &&
    p.argv.some((a) => a === program || a.endsWith(`=${program}`))
  );
  const ids = new Set(matches.map((p) => p.pid));
  const top = matches.filter((p) => !ids.has(p.ppid)).sort((a, b) =>
    a.pid - b.pid
  );
  return top[0]?.pid ?? null;
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
