/** Tests of the correlator: tracepoint checks, kprobe entry/return pairing, narrowing and counters. */

import assert from "node:assert/strict";
import { Correlator, type Output } from "./correlator.ts";
import type { CheckEvent } from "./event.ts";
import type { CheckRecord, EntryRecord, TraceRecord } from "./parse_line.ts";
import { I386_SYSCALL } from "./syscalls.ts";

const NOW = 1_700_000_000_000;

function check(over: Partial<CheckRecord> = {}): CheckRecord {
  return {
    kind: "check",
    ts: 2_000_000_000,
    pid: 100,
    tid: 100,
    ppid: 1,
    uid: 65534,
    euid: 65534,
    cap: 0,
    ret: -1,
    sys: 260,
    userns: 4026531837,
    targetNs: 4026531837,
    ra: 0n,
    cs: 0n,
    comm: "chown",
    opts: 0,
    ...over,
  };
}

function entry(over: Partial<EntryRecord> = {}): EntryRecord {
  return {
    kind: "entry",
    ts: 2_000_000_000,
    pid: 200,
    tid: 200,
    ppid: 1,
    uid: 1000,
    euid: 1000,
    cap: 13,
    opts: 0,
    sys: 41,
    userns: 4026531837,
    targetNs: 4026531837,
    ra: 0n,
    cs: 0n,
    comm: "ping",
    ...over,
  };
}

function ret(tid: number, value: number, ts = 2_000_000_500): TraceRecord {
  return { kind: "return", ts, tid, ret: value };
}

function checks(outs: Output[]): CheckEvent[] {
  return outs.map((o) => o.event).filter((e): e is CheckEvent => e.type === "check");
}

function feed(c: Correlator, recs: TraceRecord[]): Output[] {
  return recs.flatMap((r) => c.push(r));
}

function ready(c: Correlator, ts = 1_000_000_000): void {
  assert.deepEqual(c.push({ kind: "ready", ts }), []);
}

Deno.test("correlator turns a tracepoint check into an audited event with every field", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  ready(c);
  const [out] = c.push(check());
  assert.deepEqual(out, {
    event: {
      v: 1,
      type: "check",
      ts: 2_000_000_000,
      time: new Date(NOW + 1000).toISOString(),
      pid: 100,
      tid: 100,
      ppid: 1,
      uid: 65534,
      euid: 65534,
      comm: "chown",
      cap: 0,
      cap_name: "cap_chown",
      ret: -1,
      verdict: "denied",
      errno: "EPERM",
      syscall: 260,
      syscall_name: "fchownat",
      syscall_abi: "x86_64",
      opts: 0,
      audit: true,
      insetid: false,
      opts_source: "inferred",
      userns: 4026531837,
      target_userns: 4026531837,
      site: null,
      site_reason: null,
      script: null,
    },
    raw: undefined,
    role: undefined,
  });
  assert.equal(c.checks, 1);
  assert.equal(c.readyTs, 1_000_000_000);
});

Deno.test("correlator turns the no-audit bit of a tracepoint check into an unaudited event", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  const [e] = checks(c.push(check({ cap: 21, ret: 0, sys: 9, opts: 2 })));
  assert.equal(e?.opts, 2);
  assert.equal(e?.audit, false);
  assert.equal(e?.insetid, false);
  assert.equal(e?.verdict, "allowed");
  assert.equal(e?.errno, null);
  assert.equal(e?.syscall_name, "mmap");
});

Deno.test("correlator turns the insetid bit of a tracepoint check into insetid", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  const [e] = checks(c.push(check({ cap: 7, ret: 0, sys: 117, opts: 4 })));
  assert.equal(e?.opts, 4);
  assert.equal(e?.audit, true);
  assert.equal(e?.insetid, true);
  assert.equal(e?.cap_name, "cap_setuid");
});

Deno.test("correlator keeps unknown capabilities, no-syscall checks and missing namespaces as nulls", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  const [e] = checks(c.push(check({ cap: 41, ret: -13, sys: -1, userns: 0, targetNs: 0 })));
  assert.equal(e?.cap_name, null);
  assert.equal(e?.errno, "EACCES");
  assert.equal(e?.syscall, null);
  assert.equal(e?.syscall_name, null);
  assert.equal(e?.userns, null);
  assert.equal(e?.target_userns, null);
});

Deno.test("correlator passes the raw return address on only when one was captured", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  const [withSite] = c.push(check({ ra: 0x55d1a0001189n, cs: 0x55d1a0000000n }));
  assert.deepEqual(withSite?.raw, { ra: 0x55d1a0001189n, cs: 0x55d1a0000000n });
  const [without] = c.push(check());
  assert.equal(without?.raw, undefined);
});

Deno.test("correlator dates kernel timestamps from the ready record, calling now once", () => {
  let calls = 0;
  const c = new Correlator({ probe: "tracepoint", now: () => (calls++, NOW) });
  ready(c, 5_000_000_000);
  const [a] = checks(c.push(check({ ts: 5_000_000_000 })));
  const [b] = checks(c.push(check({ ts: 7_250_000_000 })));
  assert.equal(a?.time, new Date(NOW).toISOString());
  assert.equal(b?.time, new Date(NOW + 2250).toISOString());
  assert.equal(calls, 1);
});

Deno.test("correlator pairs entry and exit on the same tid", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW });
  ready(c);
  assert.deepEqual(c.push(entry({ opts: 0 })), []);
  assert.equal(c.pending, 1);
  const [e] = checks(c.push(ret(200, -1)));
  assert.equal(c.pending, 0);
  assert.equal(e?.ts, 2_000_000_500);
  assert.equal(e?.cap_name, "cap_net_raw");
  assert.equal(e?.ret, -1);
  assert.equal(e?.verdict, "denied");
  assert.equal(e?.syscall_name, "socket");
  assert.equal(e?.opts_source, "read");
  assert.equal(e?.comm, "ping");
  assert.equal(c.unmatched, 0);
});

Deno.test("correlator takes audit flags from the kprobe argument", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW });
  const [noaudit] = checks(feed(c, [entry({ opts: 2 }), ret(200, 0)]));
  assert.equal(noaudit?.audit, false);
  assert.equal(noaudit?.opts, 2);
  const [setid] = checks(feed(c, [entry({ opts: 4, cap: 7 }), ret(200, 0)]));
  assert.equal(setid?.insetid, true);
  assert.equal(setid?.audit, true);
});

Deno.test("correlator pairs interleaved threads by tid, not by order", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW });
  const outs = feed(c, [
    entry({ tid: 201, cap: 21, opts: 2, sys: 9 }),
    entry({ tid: 202, cap: 13, sys: 41 }),
    entry({ tid: 203, cap: 12, sys: 54 }),
    ret(202, 0),
    ret(203, -1),
    ret(201, 0),
  ]);
  assert.deepEqual(checks(outs).map((e) => [e.tid, e.cap, e.ret, e.syscall_name]), [
    [202, 13, 0, "socket"],
    [203, 12, -1, "setsockopt"],
    [201, 21, 0, "mmap"],
  ]);
  assert.equal(c.pending, 0);
  assert.equal(c.unmatched, 0);
});

Deno.test("correlator counts a return without an entry as unmatched and emits nothing", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW });
  assert.deepEqual(c.push(ret(999, -1)), []);
  assert.equal(c.unmatched, 1);
  assert.equal(c.checks, 0);
});

Deno.test("correlator counts an entry replaced by a newer one on the same tid as unmatched", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW });
  const [e] = checks(feed(c, [entry({ cap: 1 }), entry({ cap: 2 }), ret(200, 0)]));
  assert.equal(e?.cap, 2);
  assert.equal(c.unmatched, 1);
  assert.equal(c.pending, 0);
});

Deno.test("correlator with --unique takes an entry without a return for a repeat, not a lost return", () => {
  // The kprobe program prints every entry, and the return of each key's first check only.
  const c = new Correlator({ probe: "kprobe", now: () => NOW, unique: true });
  const events = checks(feed(c, [entry(), ret(200, -1), entry(), entry(), entry({ cap: 2 }), ret(200, 0)]));
  assert.deepEqual(events.map((e) => [e.cap, e.ret]), [[13, -1], [2, 0]]);
  assert.equal(c.unmatched, 0);
  // A return with no entry is still one.
  c.push(ret(999, 0));
  assert.equal(c.unmatched, 1);
});

Deno.test("correlator keeps at most maxPending entries without return, dropping the oldest", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW, maxPending: 100 });
  for (let tid = 1; tid <= 10_000; tid++) c.push(entry({ tid }));
  assert.equal(c.pending, 100);
  assert.equal(c.unmatched, 9_900);
  // The oldest are gone, the newest still pair.
  assert.deepEqual(c.push(ret(1, 0)), []);
  assert.equal(checks(c.push(ret(10_000, 0))).length, 1);
  assert.equal(c.pending, 99);
});

Deno.test("correlator narrows: denied cap_perfmon then cap_sys_admin in the same tid and syscall", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW });
  feed(c, [
    entry({ tid: 5, cap: 38, sys: 298 }),
    ret(5, -1),
    entry({ tid: 5, cap: 21, sys: 298 }),
    ret(5, 0),
  ]);
  assert.deepEqual(c.narrowings, [{ cap: 38, count: 1, insteadOf: 21 }]);
  assert.equal(c.alone.get(21) ?? 0, 0);
});

Deno.test("correlator narrows on the tracepoint too and counts each fallback", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  for (const cap of [39, 38, 38]) {
    c.push(check({ cap, ret: -1, sys: 321 }));
    c.push(check({ cap: 21, ret: 0, sys: 321 }));
  }
  assert.deepEqual(c.narrowings, [{ cap: 39, count: 1, insteadOf: 21 }, { cap: 38, count: 2, insteadOf: 21 }]);
  assert.equal(c.alone.get(21) ?? 0, 0);
});

Deno.test("correlator does not narrow when a no-audit check comes in between", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW });
  feed(c, [
    entry({ cap: 40, sys: 310 }),
    ret(200, -1),
    entry({ cap: 21, opts: 2, sys: 310 }),
    ret(200, 0),
    entry({ cap: 21, sys: 310 }),
    ret(200, 0),
  ]);
  assert.deepEqual(c.narrowings, [{ cap: 40, count: 1, insteadOf: 21 }]);
  assert.equal(c.alone.get(21) ?? 0, 0);
});

Deno.test("correlator counts cap_sys_admin as standalone in another syscall, thread, or after an allowed narrow check", () => {
  const cases: TraceRecord[][] = [
    [entry({ tid: 5, cap: 38, sys: 298 }), ret(5, -1), entry({ tid: 5, cap: 21, sys: 321 }), ret(5, 0)],
    [entry({ tid: 5, cap: 38, sys: 298 }), ret(5, -1), entry({ tid: 6, cap: 21, sys: 298 }), ret(6, 0)],
    [entry({ tid: 5, cap: 38, sys: 298 }), ret(5, 0), entry({ tid: 5, cap: 21, sys: 298 }), ret(5, 0)],
    [entry({ tid: 5, cap: 13, sys: 298 }), ret(5, -1), entry({ tid: 5, cap: 21, sys: 298 }), ret(5, 0)],
    [entry({ tid: 5, cap: 21, sys: 298 }), ret(5, 0)],
  ];
  for (const [i, recs] of cases.entries()) {
    const c = new Correlator({ probe: "kprobe", now: () => NOW });
    feed(c, recs);
    assert.deepEqual(c.narrowings, [], `case ${i}`);
    assert.equal(c.alone.get(21) ?? 0, 1, `case ${i}`);
  }
});

Deno.test("correlator does not count a no-audit cap_sys_admin check as standalone", () => {
  const c = new Correlator({ probe: "kprobe", now: () => NOW });
  feed(c, [entry({ cap: 21, opts: 2 }), ret(200, 0)]);
  assert.equal(c.alone.get(21) ?? 0, 0);
});

Deno.test("correlator turns exec records into events with a comm from the file name", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  const [out] = c.push({
    kind: "exec",
    ts: 9,
    pid: 7,
    ppid: 6,
    mntNs: 0,
    root: "0",
    rootIno: 0,
    filename: "/usr/lib/a-very-long-program-name",
    exeIno: 0,
  });
  assert.deepEqual(out?.event, {
    v: 1,
    type: "exec",
    ts: 9,
    pid: 7,
    ppid: 6,
    comm: "a-very-long-pro",
    filename: "/usr/lib/a-very-long-program-name",
  });
  // 15 bytes, as the kernel cuts it: the check records of the same program then name it alike.
  const comm = (filename: string) => {
    const [e] = c.push({ kind: "exec", ts: 9, pid: 7, ppid: 6, mntNs: 0, root: "0", rootIno: 0, filename, exeIno: 0 });
    return e?.event.type === "exec" ? e.event.comm : null;
  };
  assert.equal(comm("/bin/ééééééééééé"), "ééééééé\ufffd");
  assert.equal(comm("/bin/ééééééé"), "ééééééé");
});

Deno.test("correlator decodes exit statuses into code or signal", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  const exit = (status: number, root = false) => c.push({ kind: "exit", ts: 1, pid: 7, status, root })[0]?.event;
  const base = { v: 1, type: "exit", ts: 1, pid: 7, core_dumped: false, root: false };
  assert.deepEqual(exit(768, true), { ...base, code: 3, signal: null, root: true });
  assert.deepEqual(exit(0), { ...base, code: 0, signal: null });
  assert.deepEqual(exit(9), { ...base, code: null, signal: 9 });
  // SIGSEGV with a core dump sets bit 7; the signal is the low seven bits.
  assert.deepEqual(exit(0x80 | 11), { ...base, code: null, signal: 11, core_dumped: true });
  // Bit 7 of an exit status's code byte is the code's own.
  assert.deepEqual(exit(0x8000), { ...base, code: 128, signal: null });
});

Deno.test("correlator counts lost events and passes them on", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  assert.deepEqual(c.push({ kind: "lost", count: 3 }), [{ event: { v: 1, type: "lost", count: 3 } }]);
  c.push({ kind: "lost", count: 4 });
  assert.equal(c.lost, 7);
});

Deno.test("correlator collects totals and the aggregate, inferring opts from stack keys", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  const outs = feed(c, [
    { kind: "summary_begin" },
    { kind: "total", name: "n", value: 12 },
    { kind: "total", name: "launcher", value: 2 },
    {
      kind: "agg",
      pid: 1,
      cap: 21,
      ret: 0,
      sys: 9,
      initialNs: true,
      program: null,
      fallbackFor: null,
      stack: ["cap_capable+131", "security_vm_enough_memory_mm+54"],
      opts: null,
      count: 10,
    },
    {
      kind: "agg",
      pid: 1,
      cap: 0,
      ret: -1,
      sys: 260,
      initialNs: true,
      program: null,
      fallbackFor: null,
      stack: null,
      opts: 4,
      count: 2,
    },
  ]);
  assert.deepEqual(outs, []);
  assert.equal(c.summaryComplete, false);
  c.push({ kind: "summary_end" });
  assert.equal(c.summaryComplete, true);
  assert.deepEqual(Object.fromEntries(c.totals), { n: 12, launcher: 2 });
  assert.deepEqual(c.agg, [
    { pid: 1, cap: 21, ret: 0, sys: 9, initialNs: true, opts: 2, count: 10 },
    { pid: 1, cap: 0, ret: -1, sys: 260, initialNs: true, opts: 4, count: 2 },
  ]);
});

Deno.test("correlator counts malformed lines without emitting events", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  assert.deepEqual(c.push({ kind: "malformed", line: "x", reason: "unknown record" }), []);
  assert.equal(c.malformed, 1);
});

Deno.test("correlator reports records the kernel printed but that never arrived as lost", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => 0 });
  c.push({ kind: "ready", ts: 0 });
  c.push({ kind: "exec", ts: 1, pid: 5, ppid: 1, mntNs: 0, root: "0", rootIno: 0, filename: "/bin/x", exeIno: 0 });
  c.push({ kind: "summary_begin" });
  c.push({ kind: "total", name: "p", value: 3 });
  assert.deepEqual(c.push({ kind: "summary_end" }), []);
  assert.equal(c.outstanding, 2, "the summary can come before the records it counts");
  const out = c.finish();
  assert.deepEqual(out.map((o) => o.event), [{ v: 1, type: "lost", count: 2 }]);
  assert.equal(c.lost, 2);
  assert.deepEqual(c.finish(), [], "reported once");
});

Deno.test("correlator counts records arriving after the summary, and those the tracer reported lost", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => 0 });
  c.push({ kind: "ready", ts: 0 });
  c.push({ kind: "summary_begin" });
  c.push({ kind: "total", name: "p", value: 3 });
  c.push({ kind: "summary_end" });
  assert.equal(c.outstanding, 3);
  c.push({ kind: "exec", ts: 1, pid: 5, ppid: 1, mntNs: 0, root: "0", rootIno: 0, filename: "/bin/x", exeIno: 0 });
  c.push({ kind: "lost", count: 1 });
  assert.equal(c.outstanding, 1);
  c.push({ kind: "exit", ts: 2, pid: 5, status: 0, root: true });
  assert.equal(c.outstanding, 0);
  assert.deepEqual(c.finish(), []);
});

Deno.test("correlator reports nothing lost when every printed record arrived", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => 0 });
  c.push({ kind: "exec", ts: 1, pid: 5, ppid: 1, mntNs: 0, root: "0", rootIno: 0, filename: "/bin/x", exeIno: 0 });
  c.push({ kind: "total", name: "p", value: 1 });
  assert.deepEqual(c.push({ kind: "summary_end" }), []);
  assert.deepEqual(c.finish(), []);
  assert.equal(c.lost, 0);
});

Deno.test("correlator replaces an earlier summary with a later one instead of adding them up", () => {
  const c = new Correlator({ probe: "kprobe", now: () => 0 });
  const summary = (n: number) => {
    c.push({ kind: "summary_begin" });
    c.push({ kind: "total", name: "n", value: n });
    c.push({
      kind: "agg",
      pid: 5,
      cap: 0,
      ret: -1,
      sys: 92,
      initialNs: true,
      program: null,
      fallbackFor: null,
      stack: null,
      opts: 0,
      count: n,
    });
    c.push({ kind: "summary_end" });
  };
  summary(3);
  summary(4);
  assert.deepEqual(c.agg, [{ pid: 5, cap: 0, ret: -1, sys: 92, initialNs: true, opts: 0, count: 4 }]);
  assert.deepEqual(Object.fromEntries(c.totals), { n: 4 });
  assert.equal(c.summaryComplete, true);
});

Deno.test("correlator narrows CAP_DAC_OVERRIDE to CAP_FOWNER in the utime calls only", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  // utimensat (280) with no times on another user's file: CAP_FOWNER refused, then CAP_DAC_OVERRIDE; and the
  // 32-bit utimensat_time64 alike.
  c.push(check({ tid: 7, cap: 3, ret: -1, sys: 280 }));
  c.push(check({ tid: 7, cap: 1, ret: -1, sys: 280 }));
  c.push(check({ tid: 7, cap: 3, ret: -1, sys: I386_SYSCALL + 412 }));
  c.push(check({ tid: 7, cap: 1, ret: -1, sys: I386_SYSCALL + 412 }));
  // openat (257) with O_NOATIME of a file not one's own: CAP_FOWNER refused ends the call; the next openat, a write,
  // asks CAP_DAC_OVERRIDE on its own.
  c.push(check({ tid: 8, cap: 3, ret: -1, sys: 257 }));
  c.push(check({ tid: 8, cap: 1, ret: -1, sys: 257 }));
  assert.deepEqual(c.narrowings, [{ cap: 3, count: 2, insteadOf: 1 }]);
  assert.deepEqual([...c.alone], [[1, 1]]);
  // Nor anywhere on an architecture whose syscalls are not known.
  const other = new Correlator({ probe: "tracepoint", arch: "aarch64", now: () => NOW });
  other.push(check({ tid: 7, cap: 3, ret: -1, sys: 88 }));
  other.push(check({ tid: 7, cap: 1, ret: -1, sys: 88 }));
  assert.deepEqual(other.narrowings, []);
});

Deno.test("correlator narrows a read's CAP_DAC_OVERRIDE to CAP_DAC_READ_SEARCH, and only that pair", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  // A read of a file nobody may read: CAP_DAC_READ_SEARCH refused, then CAP_DAC_OVERRIDE (openat).
  c.push(check({ tid: 7, cap: 2, ret: -1, sys: 257 }));
  c.push(check({ tid: 7, cap: 1, ret: -1, sys: 257 }));
  // A write asks CAP_DAC_OVERRIDE alone.
  c.push(check({ tid: 7, cap: 1, ret: -1, sys: 257 }));
  // CAP_DAC_READ_SEARCH does not stand in for CAP_SYS_ADMIN.
  c.push(check({ tid: 8, cap: 2, ret: -1, sys: 165 }));
  c.push(check({ tid: 8, cap: 21, ret: -1, sys: 165 }));
  assert.deepEqual(c.narrowings, [{ cap: 2, count: 1, insteadOf: 1 }]);
  assert.deepEqual([...c.alone].sort(), [[1, 1], [21, 1]]);
});

Deno.test("correlator marks each audited broad check as a fallback or on its own, and nothing else", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  const role = (r: TraceRecord) => c.push(r).map((o) => o.role);
  assert.deepEqual(role(check({ cap: 38, ret: -1, sys: 298 })), [undefined], "a narrow capability has no role");
  assert.deepEqual(role(check({ cap: 21, ret: 0, sys: 298 })), ["fallback"]);
  assert.deepEqual(role(check({ cap: 21, ret: 0, sys: 298 })), ["alone"]);
  assert.deepEqual(role(check({ cap: 1, ret: -1, sys: 2 })), ["alone"]);
  assert.deepEqual(role(check({ cap: 13, ret: 0, sys: 41 })), [undefined]);
});

Deno.test("correlator takes a marked capset's CAP_SETPCAP for a probe, refused or allowed, and an unmarked one for a need", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  ready(c);
  const capset = check({ cap: 8, sys: 126 });
  const allowed = check({ cap: 8, sys: 126, ret: 0 });
  const events = checks(
    feed(c, [{ kind: "tolerated", tid: 100 }, capset, capset, { kind: "tolerated", tid: 100 }, allowed, allowed]),
  );
  assert.deepEqual(events.map((e) => [e.verdict, e.opts, e.audit]), [
    ["denied", 2, false],
    ["denied", 0, true],
    ["allowed", 2, false],
    ["allowed", 0, true],
  ]);
  // In the counts too, where an allowed setuid's mark (the kprobe's entry, before its verdict) counts for nothing.
  const agg = { kind: "agg", pid: 1, initialNs: true, program: null, fallbackFor: null, stack: null, opts: 0 };
  feed(c, [
    { kind: "summary_begin" },
    { ...agg, cap: 8, sys: 126, ret: 0, tolerated: true, count: 2 } as TraceRecord,
    { ...agg, cap: 7, sys: 105, ret: 0, tolerated: true, count: 1 } as TraceRecord,
    { kind: "summary_end" },
  ]);
  assert.deepEqual(c.agg.map((a) => [a.cap, a.opts]), [[8, 2], [7, 0]]);
});

Deno.test("correlator counts a broad check allowed in another user namespace neither alone nor as a fallback", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  ready(c);
  // unshare -Ur's CAP_SYS_ADMIN, allowed in the namespace it made; then the initial namespace's own.
  const outs = feed(c, [check({ cap: 21, ret: 0, userns: 4026532000 }), check({ cap: 21, ret: 0, sys: 165 })]);
  assert.deepEqual(outs.map((o) => o.role), [undefined, "alone"]);
  assert.deepEqual([...c.alone], [[21, 1]]);
});

Deno.test("correlator passes a pid reuse record on as a note, counted as printed", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  ready(c);
  const out = feed(c, [{ kind: "reused", ts: 1_000_000_500, pid: 100, start: 1_000_000_100 }, check({})]);
  assert.deepEqual(out[0]?.event, { v: 1, type: "reused", ts: 1_000_000_500, pid: 100, start: 1_000_000_100 });
  assert.equal(out[1]?.event.type, "check");
  assert.equal(c.records, 2, "the kernel counts it among the records printed");
});

Deno.test("correlator takes a refusal its syscall does without for a probe, in the stream and in the counts", () => {
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  ready(c);
  // setuid(getuid()) as nobody: refused CAP_SETUID (insetid), then allowed all the same; the next check is plain.
  const setuid = check({ cap: 7, sys: 105, opts: 4 });
  const events = checks(feed(c, [{ kind: "tolerated", tid: 100 }, setuid, setuid]));
  assert.deepEqual(events.map((e) => [e.opts, e.audit, e.opts_source]), [[6, false, "inferred"], [
    4,
    true,
    "inferred",
  ]]);
  assert.equal(c.records, 3, "the tolerated record is one the kernel counts as printed");
  // On the kprobe path it comes before the entry, whose verdict comes at the return; an allowed check is not one.
  const k = new Correlator({ probe: "kprobe", now: () => NOW });
  ready(k);
  const kp = checks(feed(k, [
    { kind: "tolerated", tid: 200 },
    entry({ cap: 7, sys: 105, opts: 4 }),
    ret(200, -1),
    { kind: "tolerated", tid: 200 },
    entry({ cap: 6, sys: 106, opts: 4 }),
    ret(200, 0),
  ]));
  assert.deepEqual(kp.map((e) => [e.opts, e.audit, e.opts_source]), [[6, false, "inferred"], [4, true, "read"]]);
  const agg = { kind: "agg", pid: 1, cap: 7, sys: 105, initialNs: true, program: null, fallbackFor: null, stack: null };
  feed(k, [
    { kind: "summary_begin" },
    { ...agg, ret: -1, tolerated: true, opts: 4, count: 2 } as TraceRecord,
    { ...agg, ret: 0, tolerated: true, opts: 4, count: 1 } as TraceRecord,
    { ...agg, ret: -1, tolerated: false, opts: 4, count: 1 } as TraceRecord,
    // setuid(0) of a process with no root id: refused, a need marked so; allowed (the kprobe's entry marks both), not.
    { ...agg, ret: -1, regain: true, opts: 4, count: 3 } as TraceRecord,
    { ...agg, ret: 0, regain: true, opts: 4, count: 1 } as TraceRecord,
    { kind: "summary_end" },
  ]);
  assert.deepEqual(k.agg.map((a) => [a.ret, a.opts, a.count, a.regain ?? false]), [
    [-1, 6, 2, false],
    [0, 4, 1, false],
    [-1, 4, 1, false],
    [-1, 4, 3, true],
    [0, 4, 1, false],
  ]);
});

Deno.test("correlator applies a tolerated mark to the next check or entry of its thread only, if a set-id one", () => {
  // --unique on the kprobe: entries are printed, returns only for new keys. The second setuid's return never comes;
  // its mark must not make the next check of the thread, a refused bind, a probe.
  const k = new Correlator({ probe: "kprobe", now: () => NOW });
  ready(k);
  const mark: TraceRecord = { kind: "tolerated", tid: 200 };
  const setuid = (ts: number) => entry({ ts, cap: 7, sys: 105, opts: 4 });
  const events = checks(feed(k, [
    mark,
    setuid(2_000_000_000),
    ret(200, -1),
    mark,
    setuid(2_000_001_000),
    entry({ ts: 2_000_002_000, cap: 10, sys: 49 }),
    ret(200, -1, 2_000_002_500),
  ]));
  assert.deepEqual(events.map((e) => [e.cap, e.opts, e.audit]), [[7, 6, false], [10, 0, true]]);
  // A mark whose check was lost does not pass to a check of another capability either.
  const c = new Correlator({ probe: "tracepoint", now: () => NOW });
  ready(c);
  const [bind] = checks(feed(c, [{ kind: "tolerated", tid: 100 }, check({ cap: 10, sys: 49 })]));
  assert.equal(bind?.audit, true);
});
