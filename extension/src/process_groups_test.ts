import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { GROUP_OVER, programCounts, sessionRows } from "./process_groups.ts";
import type { CapabilityNode, ProcessNode, ProgramNode } from "./trace_model.ts";
import { nodeLabel } from "./tree_labels.ts";

function proc(pid: number, filename: string | null, comm: string, denied = 0, allowed = 1): ProcessNode {
  const cap: CapabilityNode = {
    kind: "capability",
    cap: 0,
    name: "cap_chown",
    allowed,
    denied,
    sites: new Map(),
    namespaces: new Set(),
  };
  return { kind: "process", pid, comm, filename, exit: null, capabilities: new Map([[0, cap]]) };
}

/** What a row shows: a process by pid, a program by name and its processes' pids. */
function shape(rows: (ProcessNode | ProgramNode)[]): (number | [string, number[]])[] {
  return rows.map((r) => r.kind === "process" ? r.pid : [r.name, r.processes.map((p) => p.pid)]);
}

Deno.test("a session of up to GROUP_OVER processes lists them as they came, even of one program", () => {
  const procs = Array.from({ length: GROUP_OVER }, (_, i) => proc(100 + i, "/usr/bin/chown", "chown"));
  assertEquals(shape(sessionRows(procs)), procs.map((p) => p.pid));
});

Deno.test("past GROUP_OVER processes, each program run more than once is one row where its first process was", () => {
  const procs = [
    proc(1, "/bin/sh", "sh"),
    ...Array.from({ length: GROUP_OVER }, (_, i) => proc(10 + i, "/usr/bin/chown", "chown")),
    proc(2, "/usr/bin/ping", "ping"),
    proc(3, "/bin/sh", "sh"),
    // No exec seen: told by its comm, apart from a program of that name that was.
    proc(4, null, "chown"),
  ];
  const rows = sessionRows(procs);
  assertEquals(shape(rows), [
    ["sh", [1, 3]],
    ["chown", Array.from({ length: GROUP_OVER }, (_, i) => 10 + i)],
    2,
    4,
  ]);
  assertEquals(rows.map((r) => r.kind === "program" ? r.key : ""), ["f/bin/sh", "f/usr/bin/chown", "", ""]);
});

Deno.test("a program's processes refused a capability come first, each kept in the order they came", () => {
  const procs = Array.from({ length: GROUP_OVER + 1 }, (_, i) => proc(i, "/usr/bin/x", "x", i % 5 === 3 ? 1 : 0));
  const [g] = sessionRows(procs) as ProgramNode[];
  assertEquals(g!.processes.map((p) => p.pid), [3, 8, 0, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12]);
});

Deno.test("a program row counts its processes' checks, and says how many processes it holds", () => {
  const procs = Array.from({ length: GROUP_OVER + 2 }, (_, i) => proc(i, "/opt/tool", "tool", i < 2 ? 3 : 0, 2));
  const [g] = sessionRows(procs) as ProgramNode[];
  assertEquals(programCounts(g!), { allowed: 28, denied: 6 });
  assertEquals(nodeLabel(g!), { label: "tool", description: "14 processes · 28 allowed, 6 denied" });
});
