/** Turns denied checks of a trace session into Problems entries (pure data; the adapter makes vscode.Diagnostics). */

import type { Recommendation } from "../../shared/event.ts";
import { CAPABILITIES_DOC_URL } from "../../shared/capabilities.ts";
import type { SessionNode } from "./trace_model.ts";

/** One problem to show: a file, a 1-based line (0 when unknown: the first line), and what to say. */
export interface DiagnosticEntry {
  file: string;
  /** 1-based line, or 0 when only the file is known. */
  line: number;
  message: string;
  /** Upper-case capability name, e.g. "CAP_CHOWN", used as the diagnostic code. */
  code: string;
  /** Where the code links to. */
  url: string;
  /** The program its trace ran (the session's), when known: one site's problems from runs of it are one. */
  program: string | null;
  /**
   * False when the trace's summary leaves the capability out of its recommendation (a refusal the program does
   * without: CAP_FSETID in a chmod, a setuid(0) that must fail): shown as information, not as a warning.
   */
  needed: boolean;
}

/**
 * One entry per denied capability and call site with a known file; denials without a known line become one entry per capability on the program or script file. Allowed checks never become entries.
 *
 * @example
 * ```ts
 * import { TraceModel } from "./trace_model.ts";
 * import { diagnosticEntries } from "./diagnostic_entries.ts";
 * const m = new TraceModel();
 * const s = m.startSession({ label: "x" });
 * if (diagnosticEntries(s).length !== 0) throw new Error("unexpected");
 * ```
 */
export function diagnosticEntries(session: SessionNode): DiagnosticEntry[] {
  type Gathered = Omit<DiagnosticEntry, "needed"> & {
    count: number;
    syscalls: Set<string>;
    reason: string | null;
    /** The files that made checks put on another one (a system program the user's script ran). */
    by: Set<string>;
  };
  const located = new Map<string, Gathered>();
  const unlocated = new Map<string, Gathered>();
  for (const process of session.processes.values()) {
    for (const cap of process.capabilities.values()) {
      for (const site of cap.sites.values()) {
        if (site.denied === 0) continue;
        const code = cap.name.toUpperCase();
        const hasLine = site.file !== null && site.line !== null &&
          site.line > 0;
        // Without a line: the script, else the binary that made the check, else what the process ran; but one outside
        // the session's directory (a system program, such as /usr/bin/chown run by the user's script) on what the
        // user ran, naming it: that is the file the user can act on, and open.
        const ran = process.filename === null ? null : _absolute(process.filename, session.cwd);
        const own = site.script ?? site.binary ?? ran;
        // (A typed command's program is its name as typed: no file to put a problem on.)
        const program = session.program?.startsWith("/") ? session.program : null;
        const file = hasLine
          ? site.file
          : own !== null && (program === null || _inside(own, session.cwd))
          ? own
          : program ?? own;
        if (file === null) continue;
        const line = hasLine ? site.line! : 0;
        const key = `${file}\0${line}\0${code}`;
        const into = hasLine ? located : unlocated;
        let entry = into.get(key);
        if (!entry) {
          entry = {
            file,
            line,
            code,
            url: CAPABILITIES_DOC_URL,
            program: session.program,
            message: "",
            count: 0,
            syscalls: new Set(),
            reason: null,
            by: new Set(),
          };
          into.set(key, entry);
        }
        entry.count += site.denied;
        entry.reason ??= site.reason;
        if (!hasLine && own !== null && own !== file) entry.by.add(own);
        if (site.syscall) entry.syscalls.add(site.syscall);
      }
    }
  }
  const rec = session.summary?.recommendation ?? null;
  const out: DiagnosticEntry[] = [];
  for (const [map, unknown] of [[located, false], [unlocated, true]] as const) {
    for (const e of map.values()) {
      const why = e.reason ? `: ${e.reason}` : "";
      const by = e.by.size > 0 ? `by ${[...e.by].join(", ")}, ` : "";
      const where = unknown ? ` (${by}call site unknown${why})` : "";
      const calls = e.syscalls.size > 0 ? ` in ${[...e.syscalls].join(", ")}` : "";
      const times = e.count === 1 ? "once" : `${e.count} times`;
      const needed = rec === null || rec.capabilities.includes(e.code);
      const advice = needed
        ? `Grant ${e.code}${_grantHint(rec, e.code)}.`
        : "Not needed: the recommendation leaves it out (its note says why).";
      out.push({
        file: e.file,
        line: e.line,
        code: e.code,
        url: e.url,
        program: e.program,
        message: `${e.code} denied${calls}, ${times}${where}. ${advice}`,
        needed,
      });
    }
  }
  return out.sort((a, b) =>
    a.file.localeCompare(b.file) || a.line - b.line ||
    a.code.localeCompare(b.code)
  );
}

/**
 * The sessions whose problems are shown: the latest of each command (by key), so that a run replaces the problems
 * of the same command's earlier runs while other commands' stay, running or not. A run that ended without tracing
 * (sudo wanted a password, pkexec was dismissed) replaces nothing.
 *
 * @example
 * ```ts
 * import { TraceModel } from "./trace_model.ts";
 * import { problemSessions } from "./diagnostic_entries.ts";
 * const m = new TraceModel();
 * const [a, , c] = [m.startSession({ label: "./a" }), m.startSession({ label: "./b" }), m.startSession({ label: "./a" })];
 * if (problemSessions(m.sessions).map((s) => s.id).join() !== "2,3" || a.id !== 1 || c.id !== 3) throw new Error();
 * ```
 */
export function problemSessions(
  sessions: readonly SessionNode[],
): SessionNode[] {
  const latest = new Map<string, SessionNode>();
  for (const s of sessions) {
    if (s.state === "failed" && s.ready === null) continue;
    latest.delete(s.key); // keeps the map in the order the latest runs started
    latest.set(s.key, s);
  }
  return [...latest.values()];
}

/** The setcap line (one per program) that grants `code`, as an example; none when no line does (a script's). */
function _grantHint(rec: Recommendation | null, code: string): string {
  const cap = code.toLowerCase();
  const line = rec?.setcap.split("\n").find((l) =>
    l.startsWith("setcap ") &&
    (l.split(" ")[1] ?? "").replace(/\+ep$/, "").split(",").includes(cap)
  );
  return line ? ` (e.g. ${line})` : "";
}

/** True when `file` is below directory `dir`. */
function _inside(file: string, dir: string | null): boolean {
  return dir !== null && file.startsWith(`${dir.replace(/\/$/, "")}/`);
}

/** `path` made absolute against `cwd` (an exec's file name may be relative), or null when it cannot be. */
function _absolute(path: string, cwd: string | null): string | null {
  if (path.startsWith("/")) return path;
  return cwd === null ? null : `${cwd.replace(/\/$/, "")}/${path.replace(/^\.\//, "")}`;
}

/**
 * Groups entries by file, so each file's problems are replaced with one call; one per line and capability of one
 * program: where several sessions of it name one site (the program run, then debugged), the last entry given, the
 * latest run's, stands. Other programs' problems at that site are theirs.
 */
export function groupByFile(
  entries: readonly DiagnosticEntry[],
): Map<string, DiagnosticEntry[]> {
  const bySite = new Map<string, DiagnosticEntry>();
  for (const [i, e] of entries.entries()) {
    bySite.set(e.program === null ? String(i) : `${e.file}\0${e.line}\0${e.code}\0${e.program}`, e);
  }
  const byFile = new Map<string, DiagnosticEntry[]>();
  for (const e of bySite.values()) {
    const list = byFile.get(e.file) ?? [];
    list.push(e);
    byFile.set(e.file, list);
  }
  return byFile;
}
