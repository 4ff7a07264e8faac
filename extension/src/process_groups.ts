/**
 * A session's rows in the tree: its processes, or, once there are many (a build, a test suite, a shell loop), the
 * processes of each program run more than once gathered under one row, so that the few that matter are not buried.
 */

import { basename } from "node:path";
import type { ProcessNode, ProgramNode } from "./trace_model.ts";

/** Up to this many processes (those with checks), a session lists them one by one. */
export const GROUP_OVER = 12;

/** The program a process ran: its last exec's file, or its comm when no exec of it was seen. */
function _program(p: ProcessNode): { key: string; name: string; file: string | null } {
  if (p.filename !== null) {
    return { key: `f${p.filename}`, name: basename(p.filename), file: p.filename };
  }
  return { key: `c${p.comm}`, name: p.comm, file: null };
}

/** True when a process was refused a capability. */
export function hasDenial(p: ProcessNode): boolean {
  for (const c of p.capabilities.values()) if (c.denied > 0) return true;
  return false;
}

/**
 * The rows of a session's `processes`, in the order given: the processes themselves when there are GROUP_OVER or
 * fewer; else one row per program that more than one of them ran (where its first process was), holding them, those
 * refused a capability first, and the processes of programs run once as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sessionRows } from "./process_groups.ts";
 * const p = (pid: number) => ({ kind: "process" as const, pid, comm: "sh", filename: "/bin/sh", exit: null,
 *   capabilities: new Map() });
 * const rows = sessionRows(Array.from({ length: 13 }, (_, i) => p(100 + i)));
 * assert(rows.length === 1 && rows[0]!.kind === "program" && rows[0]!.processes.length === 13);
 * ```
 */
export function sessionRows(processes: readonly ProcessNode[]): (ProcessNode | ProgramNode)[] {
  if (processes.length <= GROUP_OVER) return [...processes];
  const groups = new Map<string, ProgramNode>();
  for (const p of processes) {
    const { key, name, file } = _program(p);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { kind: "program", key, name, file, processes: [p] });
    else g.processes.push(p);
  }
  const rows: (ProcessNode | ProgramNode)[] = [];
  for (const g of groups.values()) {
    if (g.processes.length === 1) {
      rows.push(g.processes[0]!);
      continue;
    }
    // Stable: among the refused and among the others, the order the processes came in.
    g.processes.sort((a, b) => Number(hasDenial(b)) - Number(hasDenial(a)));
    rows.push(g);
  }
  return rows;
}

/** A program row's checks: allowed and denied, over its processes' capabilities. */
export function programCounts(g: ProgramNode): { allowed: number; denied: number } {
  let allowed = 0;
  let denied = 0;
  for (const p of g.processes) {
    for (const c of p.capabilities.values()) {
      allowed += c.allowed;
      denied += c.denied;
    }
  }
  return { allowed, denied };
}
