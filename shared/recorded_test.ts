/** Golden tests: recorded bpftrace output through splitter, parser, correlator and formatters (see testdata/). */

import assert from "node:assert/strict";
import { LineParser, type TraceRecord } from "./parse_line.ts";
import { Correlator } from "./correlator.ts";
import type { CheckEvent, Event, ProbeKind } from "./event.ts";
import { formatCheck, formatExec, formatExit } from "./format_text.ts";
import { signalName } from "./signals.ts";
import { recommend } from "./recommend.ts";
import { formatCompleteness, formatSummary, summarize, summaryEvent } from "./summary.ts";
import { probeLimits } from "./probe_choice.ts";

const TESTDATA = new URL("./testdata/", import.meta.url);
const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";

interface Run {
  events: Event[];
  correlator: Correlator;
}

/** Replays a recording as the CLI reads it: odd-sized byte chunks, parsed and correlated in order. */
function replay(text: string, probe: ProbeKind, now: number, chunk = 4093): Run {
  const bytes = new TextEncoder().encode(text);
  const parser = new LineParser();
  const correlator = new Correlator({ probe, arch: "x86_64", now: () => now });
  const events: Event[] = [];
  const take = (recs: TraceRecord[]) => {
    // Fork and pid reuse notes are no events of the schema: the CLI keeps them to itself.
    for (const rec of recs) {
      for (const { event } of correlator.push(rec)) {
        if (event.type !== "fork" && event.type !== "reused") events.push(event);
      }
    }
  };
  for (let i = 0; i < bytes.length; i += chunk) take(parser.pushChunk(bytes.subarray(i, i + chunk)));
  take(parser.end());
  for (const { event } of correlator.finish()) if (event.type !== "fork" && event.type !== "reused") events.push(event);
  return { events, correlator };
}

function summaryOf(run: Run, probe: ProbeKind) {
  const c = run.correlator;
  const rec = recommend({ agg: c.agg, narrowings: c.narrowings, alone: c.alone });
  const seen = c.totals.get("n") ?? c.checks;
  const totals = { seen, shown: c.checks, hidden: 0, lost: c.lost, malformed: c.malformed, unsummarized: 0 };
  return summaryEvent(summarize(c.agg), rec, totals, probe, probeLimits(probe, "x86_64"));
}

/** What `captrace -v --summary` prints for the run (every check shown), as text. */
function asText(run: Run, probe: ProbeKind): string {
  const out: string[] = [];
  for (const e of run.events) {
    if (e.type === "check") out.push(formatCheck(e));
    else if (e.type === "exec") out.push(formatExec(e));
    else if (e.type === "exit") out.push(formatExit(e, signalName));
    else if (e.type === "lost") out.push(`captrace: tracer lost ${e.count} events`);
  }
  const s = summaryOf(run, probe);
  out.push("", formatSummary(s));
  const c = run.correlator;
  const hook = probe === "tracepoint" ? "tracepoint:capability:cap_capable" : "kprobe:cap_capable";
  out.push(
    formatCompleteness(s.totals, hook, s.limits, { noaudit: 0, repeats: 0, launcher: c.totals.get("launcher") ?? 0 }),
  );
  return out.join("\n") + "\n";
}

/** What `captrace --json` prints for the run, as NDJSON. */
function asNdjson(run: Run, probe: ProbeKind): string {
  return [...run.events, summaryOf(run, probe)].map((e) => JSON.stringify(e)).join("\n") + "\n";
}

async function assertGolden(actual: string, name: string): Promise<void> {
  const url = new URL(name, TESTDATA);
  if (UPDATE) await Deno.writeTextFile(url, actual);
  const expected = await Deno.readTextFile(url);
  assert.equal(actual, expected, `${name} differs; if the change is intended, rerun with UPDATE_GOLDEN=1`);
}

// Built from local fields, so the text stamps do not depend on the time zone the tests run in.
const LOCAL_NOW = new Date(2026, 10, 29, 0, 45, 0).getTime();
const UTC_NOW = Date.UTC(2026, 10, 29, 0, 45, 0);

const TP = await Deno.readTextFile(new URL("tracepoint_pid.txt", TESTDATA));
const KP = await Deno.readTextFile(new URL("kprobe_pid.txt", TESTDATA));

function checksOf(run: Run): CheckEvent[] {
  return run.events.filter((e): e is CheckEvent => e.type === "check");
}

Deno.test("recorded tracepoint trace formats to the golden text", async () => {
  await assertGolden(asText(replay(TP, "tracepoint", LOCAL_NOW), "tracepoint"), "tracepoint_pid.golden.txt");
});

Deno.test("recorded tracepoint trace gives the golden NDJSON events", async () => {
  await assertGolden(asNdjson(replay(TP, "tracepoint", UTC_NOW), "tracepoint"), "tracepoint_pid.golden.ndjson");
});

Deno.test("recorded tracepoint trace reads completely, whatever the chunk size", () => {
  const run = replay(TP, "tracepoint", UTC_NOW);
  const c = run.correlator;
  assert.equal(c.malformed, 0);
  assert.equal(c.lost, 0);
  assert.equal(c.summaryComplete, true);
  assert.equal(c.checks, c.totals.get("n"));
  assert.equal(c.agg.reduce((n, a) => n + a.count, 0), c.checks);
  for (const size of [1, 7, 64, 65536]) {
    assert.deepEqual(replay(TP, "tracepoint", UTC_NOW, size).events, run.events, `chunks of ${size}`);
  }
});

Deno.test("recorded tracepoint trace shows chown denied cap_chown as nobody in fchownat", () => {
  const denied = checksOf(replay(TP, "tracepoint", UTC_NOW)).filter((e) => e.comm === "chown" && e.cap === 0);
  assert.equal(denied.length, 1);
  assert.equal(denied[0]?.verdict, "denied");
  assert.equal(denied[0]?.syscall_name, "fchownat");
  assert.equal(denied[0]?.uid, 65534);
  assert.equal(denied[0]?.audit, true);
});

Deno.test("recorded tracepoint trace shows each thread of the workload with its own tid", () => {
  const threads = checksOf(replay(TP, "tracepoint", UTC_NOW)).filter((e) => e.comm === "workload" && e.cap === 0);
  assert.equal(threads.length, 3);
  assert.equal(new Set(threads.map((e) => e.pid)).size, 1);
  assert.equal(new Set(threads.map((e) => e.tid)).size, 3);
  for (const e of threads) assert.notEqual(e.tid, e.pid);
});

Deno.test("recorded tracepoint trace infers no-audit and insetid from the kernel callers", () => {
  const checks = checksOf(replay(TP, "tracepoint", UTC_NOW));
  const mmap = checks.filter((e) => e.syscall_name === "mmap");
  assert.ok(mmap.length > 0 && mmap.every((e) => e.cap === 21 && !e.audit));
  const setid = checks.filter((e) => e.syscall_name === "setresuid");
  assert.ok(setid.length > 0 && setid.every((e) => e.insetid && e.audit));
});

Deno.test("recorded tracepoint trace narrows CAP_SYS_ADMIN to CAP_BPF and CAP_PERFMON", () => {
  const run = replay(TP, "tracepoint", UTC_NOW);
  assert.deepEqual(run.correlator.narrowings, [{ cap: 39, count: 1, insteadOf: 21 }, {
    cap: 38,
    count: 3,
    insteadOf: 21,
  }]);
  const caps = summaryOf(run, "tracepoint").recommendation.capabilities;
  assert.ok(caps.includes("CAP_CHOWN"));
  // CAP_SYS_ADMIN was allowed on its own only to unshare, in the user namespace it made: that needs none from outside.
  assert.equal(run.correlator.alone.get(21), undefined);
  assert.ok(!caps.includes("CAP_SYS_ADMIN"), caps.join(" "));
  assert.ok(caps.includes("CAP_BPF") && caps.includes("CAP_PERFMON"), caps.join(" "));
});

Deno.test("recorded tracepoint trace ends with the root's exit status", () => {
  const exits = replay(TP, "tracepoint", UTC_NOW).events.filter((e) => e.type === "exit");
  assert.deepEqual(exits.at(-1), { ...exits.at(-1), code: 3, signal: null, root: true });
  assert.equal(exits.filter((e) => e.type === "exit" && e.root).length, 1);
});

Deno.test("synthesized kprobe trace formats to the golden text", async () => {
  await assertGolden(asText(replay(KP, "kprobe", LOCAL_NOW), "kprobe"), "kprobe_pid.golden.txt");
});

Deno.test("synthesized kprobe trace gives the golden NDJSON events", async () => {
  await assertGolden(asNdjson(replay(KP, "kprobe", UTC_NOW), "kprobe"), "kprobe_pid.golden.ndjson");
});

Deno.test("synthesized kprobe trace pairs interleaved threads and counts what did not pair", () => {
  const run = replay(KP, "kprobe", UTC_NOW);
  const c = run.correlator;
  assert.deepEqual(checksOf(run).map((e) => [e.tid, e.cap, e.ret]), [
    [200, 12, -1],
    [202, 13, 0],
    [201, 21, 0],
    [202, 38, -1],
    [202, 21, 0],
    [201, 7, 0],
    [201, 41, -1],
  ]);
  assert.equal(c.unmatched, 1); // the return on tid 203
  assert.equal(c.pending, 1); // the last entry of 200, killed before returning
  assert.equal(c.lost, 2);
  assert.equal(c.malformed, 0);
  assert.equal(c.totals.get("n"), c.checks + c.lost);
  assert.deepEqual(c.narrowings, [{ cap: 38, count: 1, insteadOf: 21 }]);
  const s = summaryOf(run, "kprobe");
  assert.deepEqual(s.recommendation.capabilities, [
    "CAP_SETUID",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_PERFMON",
    "CAP_41",
  ]);
});

Deno.test("synthesized kprobe trace keeps the comm with spaces and reads opts from the argument", () => {
  const checks = checksOf(replay(KP, "kprobe", UTC_NOW));
  const web = checks.filter((e) => e.pid === 201);
  assert.ok(web.every((e) => e.comm === "Web Content" && e.opts_source === "read"));
  assert.equal(web.find((e) => e.cap === 21 && e.syscall_name === "mmap")?.audit, false);
  assert.equal(web.find((e) => e.cap === 7)?.insetid, true);
});
