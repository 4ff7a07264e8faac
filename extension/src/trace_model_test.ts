import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { loadEvents } from "./_testdata.ts";
import { TraceModel } from "./trace_model.ts";

function traced() {
  const model = new TraceModel();
  const session = model.startSession({
    label: "/ws/deny",
    program: "/ws/deny",
    cwd: "/ws",
  });
  for (const e of loadEvents("deny_chown")) model.apply(session.id, e);
  return { model, session };
}

Deno.test("tree model groups checks by process, capability and call site", () => {
  const { session } = traced();
  assertEquals(session.state, "running");
  assertEquals([...session.processes.keys()], [4242, 4243]);
  const deny = session.processes.get(4242)!;
  assertEquals(deny.comm, "deny");
  assertEquals(deny.filename, "/ws/deny");
  assertEquals(deny.exit, { code: 1, signal: null, coreDumped: false });
  assertEquals(
    [...deny.capabilities.values()].map((c) => [c.name, c.allowed, c.denied]),
    [
      ["cap_chown", 0, 2],
      ["cap_net_raw", 0, 1],
      ["cap_sys_admin", 1, 0],
    ],
  );
  const chownSites = [...deny.capabilities.get(0)!.sites.values()];
  assertEquals(chownSites.length, 1);
  assertEquals(chownSites[0]!.file, "/ws/deny.c");
  assertEquals(chownSites[0]!.line, 12);
  assertEquals(chownSites[0]!.function, "main");
  assertEquals(chownSites[0]!.syscall, "chown");
  assertEquals(chownSites[0]!.denied, 2);
});

Deno.test("tree model resolves relative source paths against the session's cwd", () => {
  const { session } = traced();
  const raw = session.processes.get(4242)!.capabilities.get(13)!;
  assertEquals([...raw.sites.values()][0]!.file, "/ws/deny.c");
  assertEquals([...raw.sites.values()][0]!.line, 20);
});

Deno.test("tree model keys unknown call sites by syscall and keeps the reason", () => {
  const { session } = traced();
  const admin = [
    ...session.processes.get(4242)!.capabilities.get(21)!.sites.values(),
  ];
  assertEquals(admin.map((s) => [s.key, s.syscall, s.reason]), [
    ["syscall:none", null, "not in a syscall"],
  ]);
  const py = [
    ...session.processes.get(4243)!.capabilities.get(24)!.sites.values(),
  ];
  assertEquals(py[0]!.script, "/ws/limit.py");
});

Deno.test("tree model counts session totals and keeps the summary", () => {
  const { session } = traced();
  assertEquals([session.allowed, session.denied], [1, 4]);
  assertEquals(session.summary?.recommendation.capabilities, [
    "CAP_CHOWN",
    "CAP_NET_RAW",
    "CAP_SYS_RESOURCE",
  ]);
});

Deno.test("tree model marks a session that never became ready as failed", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "x" });
  model.apply(s.id, {
    v: 1,
    type: "error",
    message: "bpftrace not found",
    hint: null,
    exit_code: 1,
  });
  model.endSession(s.id, 1);
  assertEquals(s.state, "failed");
  assertEquals(s.errors.length, 1);
});

Deno.test("clearing keeps running sessions only", () => {
  const { model, session } = traced();
  const done = model.startSession({ label: "done" });
  model.endSession(done.id, 0);
  model.clearFinished();
  assertEquals(model.sessions.map((s) => s.id), [session.id]);
});

Deno.test("unknown capability numbers get a numeric name", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "x" });
  const [, , check] = loadEvents("deny_chown");
  model.apply(
    s.id,
    { ...check!, cap: 45, cap_name: null } as typeof check & object,
  );
  assertEquals(s.processes.get(4242)!.capabilities.get(45)!.name, "cap_45");
});

Deno.test("an unnamed syscall of another table says which, as the CLI's text does", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "x" });
  const [, , check] = loadEvents("deny_chown");
  const raw = { ...check!, site: null, syscall: 471, syscall_name: null, syscall_abi: "i386" } as typeof check & object;
  model.apply(s.id, raw);
  const sites = [...s.processes.get(4242)!.capabilities.get(raw.type === "check" ? raw.cap : -1)!.sites.values()];
  assertEquals(sites.map((n) => [n.key, n.syscall]), [["syscall:i386:471", "syscall i386:471"]]);
});
