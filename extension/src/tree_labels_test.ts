import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Event } from "../../shared/event.ts";
import { loadEvents, readyEvent } from "./_testdata.ts";
import { TraceModel } from "./trace_model.ts";
import { nodeLabel } from "./tree_labels.ts";

Deno.test("tree rows: session, process, capability with counts, call site with syscall and count", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "deny owned.txt", program: "/ws/deny", cwd: "/ws" });
  for (const e of loadEvents("deny_chown")) model.apply(s.id, e);
  model.endSession(s.id, 1);
  assertEquals(nodeLabel(s), { label: "deny owned.txt", description: "exited 1 · 1 allowed, 4 denied" });
  const p = s.processes.get(4242)!;
  assertEquals(nodeLabel(p), { label: "deny (4242)", description: "exited 1" });
  const cap = p.capabilities.get(0)!;
  assertEquals(nodeLabel(cap), { label: "cap_chown", description: "0 allowed, 2 denied" });
  assertEquals(nodeLabel([...cap.sites.values()][0]!), { label: "main deny.c:12", description: "chown ×2" });
  const unknown = [...p.capabilities.get(21)!.sites.values()][0]!;
  assertEquals(nodeLabel(unknown), { label: "unknown site", description: "no syscall ×1" });
  const script = [...s.processes.get(4243)!.capabilities.get(24)!.sites.values()][0]!;
  assertEquals(nodeLabel(script), { label: "limit.py", description: "setrlimit ×1" });
});

Deno.test("tree rows: a running session with lost events says so", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "x" });
  model.apply(s.id, { v: 1, type: "lost", count: 7 });
  assertEquals(nodeLabel(s).description, "starting · 0 allowed, 0 denied, 7 lost");
});

Deno.test("a session the user stopped says so, not its SIGTERM status", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "sleep 60" });
  model.apply(s.id, readyEvent(7));
  s.stopped = true;
  model.endSession(s.id, 143);
  assertEquals(nodeLabel(s).description, "stopped · 0 allowed, 0 denied");
  // One that ended on its own while being stopped keeps its status.
  s.exitCode = 1;
  assertEquals(nodeLabel(s).description, "stopped, exited 1 · 0 allowed, 0 denied");
  // A trace of a running process ends with 0 when stopped: captrace's status, not the process's.
  s.exitCode = 0;
  assertEquals(nodeLabel(s).description, "stopped · 0 allowed, 0 denied");
});

Deno.test("a trace stopped before it started, or captrace killed by a signal, says so", () => {
  const model = new TraceModel();
  const early = model.startSession({ label: "sleep 60" });
  early.stopped = true;
  model.endSession(early.id, 1);
  assertEquals(nodeLabel(early).description, "stopped before it started · 0 allowed, 0 denied");
  const killed = model.startSession({ label: "./server" });
  model.apply(killed.id, readyEvent(7));
  model.endSession(killed.id, null, "SIGKILL");
  assertEquals(nodeLabel(killed).description, "killed by SIGKILL · 0 allowed, 0 denied");
  // Killed by the stop's last resort: stopped.
  killed.stopped = true;
  assertEquals(nodeLabel(killed).description, "stopped · 0 allowed, 0 denied");
  killed.signal = "SIGSEGV";
  assertEquals(nodeLabel(killed).description, "stopped, killed by SIGSEGV · 0 allowed, 0 denied");
});

Deno.test("a trace that failed while running says so, not only its exit status", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "./server" });
  model.apply(s.id, readyEvent(7));
  model.apply(s.id, { v: 1, type: "error", message: "bpftrace ended unexpectedly", hint: null, exit_code: 1 });
  model.endSession(s.id, 1);
  assertEquals(nodeLabel(s).description, "error, exited 1 · 0 allowed, 0 denied");
});

Deno.test("a capability checked against a user namespace of a program's own names it, as the CLI's lines do", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "unshare -Ur chown" });
  const [, , check] = loadEvents("deny_chown");
  model.apply(s.id, readyEvent(4242));
  if (check?.type !== "check") throw new Error("the fixture's third event is a check");
  model.apply(s.id, check);
  model.apply(s.id, { ...check, userns: 4026532841, target_userns: 4026532841 });
  const cap = s.processes.get(4242)!.capabilities.get(0)!;
  assertEquals(nodeLabel(cap), { label: "cap_chown", description: "0 allowed, 2 denied · userns 4026532841" });
});

Deno.test("tree rows: a killed process names its signal; one whose exit an ended trace did not see ran at its end", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "sh -c …" });
  model.apply(s.id, readyEvent(10));
  const check = (pid: number, comm: string) => ({
    ...loadEvents("deny_chown").find((e) => e.type === "check")!,
    pid,
    comm,
  });
  for (const [pid, comm] of [[10, "sh"], [11, "crash"], [12, "daemon"], [13, "sleep"]] as const) {
    model.apply(s.id, check(pid, comm) as Event);
  }
  const exit = { v: 1, type: "exit", ts: 1, code: null, root: false } as const;
  model.apply(s.id, { ...exit, pid: 11, signal: 11, core_dumped: true });
  model.apply(s.id, { ...exit, pid: 13, signal: 9, core_dumped: false });
  model.apply(s.id, { ...exit, pid: 10, code: 0, signal: null, core_dumped: false, root: true });
  const row = (pid: number) => nodeLabel(s.processes.get(pid)!, s).description;
  assertEquals([row(10), row(11), row(12), row(13)], [
    "exited 0",
    "killed by SIGSEGV (core dumped)",
    "",
    "killed by SIGKILL",
  ]);
  model.endSession(s.id, 0);
  assertEquals(row(12), "running at the trace's end");
  assertEquals(nodeLabel(s.processes.get(12)!).description, "");
});

Deno.test("tree rows: a comm's control characters and bytes that were not UTF-8 read as the CLI shows them", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "x" });
  model.apply(s.id, readyEvent(77));
  const [check] = loadEvents("deny_chown").filter((e) => e.type === "check");
  model.apply(s.id, { ...check, pid: 77, tid: 77, comm: "\udcff\udcfex\n" } as Event);
  assertEquals(nodeLabel(s.processes.get(77)!).label, "\\xff\\xfex\\n (77)");
});
