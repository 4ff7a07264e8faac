import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { loadEvents, readyEvent } from "./_testdata.ts";
import { TraceModel } from "./trace_model.ts";
import { CAPABILITIES_DOC_URL } from "../../shared/capabilities.ts";
import { diagnosticEntries, groupByFile, problemSessions } from "./diagnostic_entries.ts";

function session(drop: (type: string) => boolean = () => false) {
  const model = new TraceModel();
  const s = model.startSession({
    label: "/ws/deny",
    program: "/ws/deny",
    cwd: "/ws",
  });
  for (const e of loadEvents("deny_chown")) {
    if (!drop(e.type)) model.apply(s.id, e);
  }
  return s;
}

Deno.test("diagnostics put each denied capability on its call site line", () => {
  const entries = diagnosticEntries(session());
  assertEquals(entries.map((e) => [e.file, e.line, e.code]), [
    ["/ws/deny.c", 12, "CAP_CHOWN"],
    ["/ws/deny.c", 20, "CAP_NET_RAW"],
    ["/ws/limit.py", 0, "CAP_SYS_RESOURCE"],
  ]);
  assertEquals(
    entries[0]!.message,
    "CAP_CHOWN denied in chown, 2 times. Grant CAP_CHOWN (e.g. setcap cap_chown,cap_net_raw+ep /ws/deny).",
  );
  assertEquals(entries[0]!.url, CAPABILITIES_DOC_URL);
});

Deno.test("diagnostics without a summary still name the capability to grant", () => {
  const entries = diagnosticEntries(session((t) => t === "summary"));
  assertEquals(
    entries[1]!.message,
    "CAP_NET_RAW denied in socket, once. Grant CAP_NET_RAW.",
  );
  assertEquals(
    entries[2]!.message,
    "CAP_SYS_RESOURCE denied in setrlimit, once (call site unknown: no debug information). Grant CAP_SYS_RESOURCE.",
  );
});

Deno.test("allowed checks never become diagnostics", () => {
  const entries = diagnosticEntries(session());
  assertEquals(entries.some((e) => e.code === "CAP_SYS_ADMIN"), false);
});

Deno.test("denials without a line fall back to the program file", () => {
  const model = new TraceModel();
  const s = model.startSession({ label: "/ws/deny", program: "/ws/deny" });
  const [, , check] = loadEvents("deny_chown");
  model.apply(
    s.id,
    { ...check!, site: null, site_reason: "no debug information" } as
      & typeof check
      & object,
  );
  assertEquals(diagnosticEntries(s).map((e) => [e.file, e.line]), [[
    "/ws/deny",
    0,
  ]]);
});

Deno.test("entries are grouped per file", () => {
  const grouped = groupByFile(diagnosticEntries(session()));
  assertEquals([...grouped.keys()], ["/ws/deny.c", "/ws/limit.py"]);
  assertEquals(grouped.get("/ws/deny.c")!.length, 2);
});

Deno.test("diagnostics give as example the setcap line that grants the capability, or none", () => {
  const s = session();
  s.summary = {
    ...s.summary!,
    recommendation: {
      ...s.summary!.recommendation,
      setcap: "# /ws/limit.py is a script: …\nsetcap cap_chown+ep /usr/bin/chown\nsetcap cap_net_raw+ep /ws/deny",
    },
  };
  const messages = diagnosticEntries(s).map((e) => e.message);
  assertEquals(messages, [
    "CAP_CHOWN denied in chown, 2 times. Grant CAP_CHOWN (e.g. setcap cap_chown+ep /usr/bin/chown).",
    "CAP_NET_RAW denied in socket, once. Grant CAP_NET_RAW (e.g. setcap cap_net_raw+ep /ws/deny).",
    // The script's line is a comment: no setcap line grants its capability.
    "CAP_SYS_RESOURCE denied in setrlimit, once (call site unknown: no debug information). Grant CAP_SYS_RESOURCE.",
  ]);
});

Deno.test("a denial the summary's recommendation leaves out is information, saying it is not needed", () => {
  const s = session();
  // As for CAP_FSETID in a chmod, or a setuid(0) that must fail: refused, and left out with a note.
  s.summary = { ...s.summary!, recommendation: { ...s.summary!.recommendation, capabilities: ["CAP_CHOWN"] } };
  const entries = diagnosticEntries(s);
  assertEquals(entries.map((e) => [e.code, e.needed]), [
    ["CAP_CHOWN", true],
    ["CAP_NET_RAW", false],
    ["CAP_SYS_RESOURCE", false],
  ]);
  assertEquals(
    entries[1]!.message,
    "CAP_NET_RAW denied in socket, once. Not needed: the recommendation leaves it out (its note says why).",
  );
  // Before the summary, every denial is one to grant.
  assert.ok(diagnosticEntries(session((t) => t === "summary")).every((e) => e.needed));
});

Deno.test("a denial whose site has a file but no line goes on the binary, not on that bare name", () => {
  const model = new TraceModel();
  const s = model.startSession({
    label: "./deny-nog",
    program: "/ws/deny-nog",
    cwd: "/ws/src",
  });
  const [, , check] = loadEvents("deny_chown");
  // Without -g, the symbol table names the file (no directory) and no line.
  const site = {
    binary: "/ws/deny-nog",
    address: "0x1189",
    function: "give_away",
    file: "deny.c",
    line: null,
  };
  model.apply(
    s.id,
    { ...check!, site, site_reason: "no debug info (build with -g)" } as
      & typeof check
      & object,
  );
  const node = [...[...s.processes.values()][0]!.capabilities.values()][0]!
    .sites.values().next().value!;
  assertEquals([node.file, node.function, node.binary], [
    null,
    "give_away",
    "/ws/deny-nog",
  ]);
  const [entry] = diagnosticEntries(s);
  assertEquals([entry!.file, entry!.line], ["/ws/deny-nog", 0]);
  assertEquals(
    entry!.message.includes(
      "(call site unknown: no debug info (build with -g))",
    ),
    true,
  );
});

/**
 * The problems of a session running `program` in /ws, whose process executed `filename` and was then denied cap_chown
 * with no call site known (`reason`).
 */
function deniedAfterExec(program: string, filename: string, reason: string | null) {
  const model = new TraceModel();
  const s = model.startSession({ label: program, program, cwd: "/ws" });
  const [, , check] = loadEvents("deny_chown");
  const c = check as typeof check & { pid: number };
  model.apply(s.id, { v: 1, type: "exec", ts: 1, pid: c.pid, ppid: 1, comm: "deny", filename });
  model.apply(s.id, { ...check!, site: null, site_reason: reason, script: null } as typeof check & object);
  return diagnosticEntries(s);
}

Deno.test("a denial with no site goes on what its process ran, made absolute against the session's cwd", () => {
  assertEquals(deniedAfterExec("/ws/run.sh", "./deny", null).map((e) => e.file), ["/ws/deny"]);
});

Deno.test("one site denied in two commands' traces (run, then debugged) is one problem, the latest run's", () => {
  const model = new TraceModel();
  const trace = (key: string, drop: (type: string) => boolean) => {
    const s = model.startSession({ label: "deny", key, program: "/ws/deny", cwd: "/ws" });
    for (const e of loadEvents("deny_chown")) if (!drop(e.type)) model.apply(s.id, e);
    return s;
  };
  trace('run ["/ws",["/ws/deny"]]', () => false);
  // The debugged run ended without its summary: its messages name no setcap line.
  trace('debug ["/ws","deny"]', (t) => t === "summary");
  const grouped = groupByFile(problemSessions(model.sessions).flatMap(diagnosticEntries));
  assertEquals(grouped.get("/ws/deny.c")!.map((e) => [e.line, e.code]), [[12, "CAP_CHOWN"], [20, "CAP_NET_RAW"]]);
  assertEquals(grouped.get("/ws/deny.c")![0]!.message, "CAP_CHOWN denied in chown, 2 times. Grant CAP_CHOWN.");
  assertEquals(grouped.get("/ws/limit.py")!.length, 1);
  // Another program denied at the same site: its problem is its own.
  const other = model.startSession({ label: "other", key: "other", program: "/ws/other", cwd: "/ws" });
  for (const e of loadEvents("deny_chown")) model.apply(other.id, e);
  const both = groupByFile(problemSessions(model.sessions).flatMap(diagnosticEntries));
  assertEquals(both.get("/ws/deny.c")!.map((e) => [e.line, e.program]), [
    [12, "/ws/deny"],
    [20, "/ws/deny"],
    [12, "/ws/other"],
    [20, "/ws/other"],
  ]);
});

Deno.test("problems show each command's latest trace, running or not", () => {
  const model = new TraceModel();
  const a1 = model.startSession({ label: "./a" });
  const b = model.startSession({ label: "./b" });
  const a2 = model.startSession({ label: "./a" });
  assertEquals(problemSessions(model.sessions).map((x) => x.id), [b.id, a2.id]);
  model.endSession(a1.id, 0);
  model.endSession(b.id, 0);
  model.apply(a2.id, readyEvent(1));
  // Clear removes finished sessions: the running one's problems stay.
  model.clearFinished();
  assertEquals(problemSessions(model.sessions).map((x) => x.id), [a2.id]);
});

Deno.test("a run that ended without tracing leaves the problems of the command's run before it", () => {
  const model = new TraceModel();
  const first = model.startSession({ label: "deny", key: "run deny", program: "/ws/deny", cwd: "/ws" });
  for (const e of loadEvents("deny_chown")) model.apply(first.id, e);
  model.endSession(first.id, 1);
  const shown = () => problemSessions(model.sessions).flatMap(diagnosticEntries).length;
  const before = shown();
  assert(before > 0);
  // Run again: sudo wanted a password, and captrace ended before its ready event.
  const again = model.startSession({ label: "deny", key: "run deny", program: "/ws/deny", cwd: "/ws" });
  model.endSession(again.id, 1);
  assertEquals(again.state, "failed");
  assertEquals(shown(), before);
});

Deno.test("runs are told apart by what they run, not by their label", () => {
  const model = new TraceModel();
  // Debug runs of one configuration: labels with different pids, one key.
  const d1 = model.startSession({ label: "debug deny (pid 100)", key: 'debug ["/ws","deny"]' });
  const d2 = model.startSession({ label: "debug deny (pid 200)", key: 'debug ["/ws","deny"]' });
  // Two programs named test in different directories: one label, two keys.
  const a = model.startSession({ label: "test", key: 'run ["/ws/a",["/ws/a/test"]]' });
  const b = model.startSession({ label: "test", key: 'run ["/ws/b",["/ws/b/test"]]' });
  assertEquals(problemSessions(model.sessions).map((x) => x.id), [d2.id, a.id, b.id]);
  assertEquals(d1.key, d2.key);
});

Deno.test("a denial by a system program the user's script ran goes on the script, naming the program", () => {
  const [entry] = deniedAfterExec("/ws/giveaway.sh", "/usr/bin/chown", "no debug information");
  assertEquals([entry!.file, entry!.line], ["/ws/giveaway.sh", 0]);
  assertEquals(entry!.message.includes("(by /usr/bin/chown, call site unknown: no debug information)"), true);
});

Deno.test("a typed command's denial without a line stays on the program that made it: the name typed is no file", () => {
  assertEquals(deniedAfterExec("chown", "/usr/bin/chown", null).map((e) => e.file), ["/usr/bin/chown"]);
});
