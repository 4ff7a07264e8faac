import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { findProgramProcess, parentsOf, parseProcEntry, processLabel, rootAbove } from "./process_match.ts";

Deno.test("proc stat with odd comm is parsed", () => {
  assertEquals(parseProcEntry("12 ((sd-pam)) S 3 12 12 0", "(sd-pam)\0"), {
    pid: 12,
    ppid: 3,
    comm: "(sd-pam)",
    argv: ["(sd-pam)"],
  });
  assertEquals(parseProcEntry("garbage", ""), null);
  assertEquals(parseProcEntry("5 (k) S 2 0", "")?.argv, []);
});

Deno.test("proc stat gives the start time, which orders processes where pids have wrapped", () => {
  const stat = "31747 (c a t) R 31744 31744 8896 0 -1 4194304 125 0 0 0 0 0 0 0 20 0 1 0 6211079 3133440 390 0";
  assertEquals(parseProcEntry(stat, "cat\0")?.start, 6211079);
});

Deno.test("debuggee is the topmost new process naming the program", () => {
  const procs = [
    { pid: 100, ppid: 1, comm: "node", argv: ["node", "/ws/old.js"] },
    {
      pid: 200,
      ppid: 150,
      comm: "setpriv",
      argv: ["setpriv", "--bounding-set=-chown", "node", "/ws/chown.js"],
    },
    { pid: 201, ppid: 200, comm: "node", argv: ["node", "/ws/chown.js"] },
    { pid: 300, ppid: 1, comm: "node", argv: ["node", "/ws/chown.js"] },
  ];
  assertEquals(findProgramProcess(procs, "/ws/chown.js", new Set([300])), 200);
  assertEquals(
    findProgramProcess(procs, "/ws/chown.js", new Set([300]), new Set([200])),
    201,
  );
  assertEquals(findProgramProcess(procs, "/ws/none.js", new Set()), null);
});

Deno.test("debuggee started with a relative program path is found through its cwd", () => {
  const procs = [
    { pid: 7, ppid: 1, comm: "node", argv: ["node", "./chown.js", "x"] },
    { pid: 8, ppid: 1, comm: "node", argv: ["node", "sub/../chown.js"] },
  ];
  const cwd = (pid: number) => pid === 7 ? "/elsewhere" : "/ws";
  assertEquals(
    findProgramProcess(procs, "/ws/chown.js", new Set(), new Set(), cwd),
    8,
  );
  assertEquals(
    findProgramProcess(
      procs,
      "/ws/chown.js",
      new Set(),
      new Set([8]),
      () => "/ws",
    ),
    7,
  );
});

Deno.test("picker label cuts long command lines", () => {
  const l = processLabel({
    pid: 1,
    ppid: 0,
    comm: "x",
    argv: ["a".repeat(200)],
  });
  assertEquals(l.label, "x (1)");
  assertEquals(l.description.length, 118);
});

Deno.test("rootAbove finds the trace a process is part of: itself a root, or one above it; none for others", () => {
  const table = [
    { pid: 100, ppid: 1, comm: "sudo", argv: ["sudo"] },
    { pid: 101, ppid: 100, comm: "deno", argv: ["captrace"] },
    { pid: 102, ppid: 101, comm: "bpftrace", argv: ["bpftrace"] },
    { pid: 103, ppid: 101, comm: "app", argv: ["./app"] },
    { pid: 104, ppid: 103, comm: "child", argv: ["child"] },
    { pid: 200, ppid: 1, comm: "server", argv: ["server"] },
    { pid: 201, ppid: 200, comm: "worker", argv: ["worker"] },
    { pid: 300, ppid: 1, comm: "other", argv: ["other"] },
  ];
  // A run's captrace (behind sudo), and a process attached to.
  const roots = new Map([[100, "run 1"], [200, "attach 2"]]);
  assertEquals([100, 101, 102, 103, 104].map((p) => rootAbove(parentsOf(table), p, roots)), Array(5).fill("run 1"));
  assertEquals([200, 201].map((p) => rootAbove(parentsOf(table), p, roots)), ["attach 2", "attach 2"]);
  assertEquals(rootAbove(parentsOf(table), 300, roots), undefined);
  assertEquals(rootAbove(parentsOf(table), 999, roots), undefined, "gone");
  // A loop in a table read while pids were reused ends.
  assertEquals(rootAbove(new Map([[5, 6], [6, 5]]), 5, roots), undefined);
});
