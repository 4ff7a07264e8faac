/** Tests of the tracer line parser: every record type, the multi-line ones, and what it must survive. */

import assert from "node:assert/strict";
import { LineParser, MAX_LINE, type TraceRecord } from "./parse_line.ts";

function parseAll(lines: string[]): TraceRecord[] {
  const p = new LineParser();
  const out: TraceRecord[] = [];
  for (const l of lines) out.push(...p.push(l));
  out.push(...p.end());
  return out;
}

const CHECK =
  "C 832350166387 9135 9136 9038 65534 65534 0 -1 260 4026531837 4026531838 55d1a0001189 55d1a0000000 chown";
const STACK = [
  "        cap_capable+131",
  "        security_capable+59",
  "        ns_capable+45",
  "        chown_ok+120",
];
const NOAUDIT_FRAME = "        security_vm_enough_memory_mm+54";
const SETID_FRAME = "        ns_capable_setid+45";

Deno.test("parser takes the lines a comm's newlines make for the rest of the comm, never for records", () => {
  // prctl(PR_SET_NAME, "\nS begin\nS end"): 14 bytes, which would end the trace with an empty summary.
  const forged = CHECK.replace(/chown$/, "");
  const recs = parseAll([forged, "S begin", "S end", ...STACK, "", "X 832350166390 9135 0 1"]);
  assert.deepEqual(recs.map((r) => r.kind), ["check", "exit"]);
  assert.ok(recs[0]!.kind === "check" && recs[0]!.comm === "\nS begin\nS end");
  // A frame forged in the comm is part of it too: the check keeps its own stack's flags.
  const frame = parseAll([CHECK.replace(/chown$/, "x"), " cap_capset", ...STACK, ""]);
  assert.ok(frame[0]!.kind === "check" && frame[0]!.comm === "x\n cap_capset" && frame[0]!.opts === 0);
  // An entry (kprobe) is held for the line after it in the same way.
  const entry = "B 832350166387 9135 9136 9038 65534 65534 7 0 105 4026531837 4026531837 0 0 ";
  const kp = parseAll([entry + "a", "X 1 2 0 1", "R 832350166390 9136 -1"]);
  assert.deepEqual(kp.map((r) => r.kind), ["entry", "return"]);
  assert.ok(kp[0]!.kind === "entry" && kp[0]!.comm === "a\nX 1 2 0 1");
  // A comm is at most 15 bytes: a longer line after it is not part of it, a tolerated record's among them.
  const long = parseAll([entry + "a", "X 832350166389 9135 0 1", entry + "sh", "T 832350166391 9137"]);
  assert.deepEqual(long.map((r) => r.kind), ["entry", "exit", "entry", "tolerated"]);
  // Held for the line after it, a last entry comes out on flushHeld, when captrace ends the tracer.
  const p = new LineParser();
  assert.deepEqual(p.push(entry + "a"), []);
  assert.deepEqual(p.flushHeld().map((r) => r.kind), ["entry"]);
  assert.deepEqual(p.flushHeld(), []);
});

Deno.test("parser takes bpftrace's Lost line after a short comm for a loss, not for the rest of the comm", () => {
  // A comm of 0 or 1 byte leaves room for `Lost N events` (13 bytes and up), which bpftrace prints between records.
  const entry = "B 832350166387 9135 9136 9038 65534 65534 7 0 105 4026531837 4026531837 0 0 ";
  const recs = parseAll([entry + "w", "Lost 3 events", "R 832350166390 9136 -1"]);
  assert.deepEqual(recs.map((r) => r.kind), ["entry", "lost", "return"]);
  assert.ok(recs[0]!.kind === "entry" && recs[0]!.comm === "w");
  assert.ok(recs[1]!.kind === "lost" && recs[1]!.count === 3);
  const empty = parseAll([entry, "Lost 10 events", "R 832350166390 9136 -1"]);
  assert.deepEqual(empty.map((r) => r.kind), ["entry", "lost", "return"]);
  // Another short line is still the comm's.
  const other = parseAll([entry + "w", "Lost 3", "R 832350166390 9136 -1"]);
  assert.ok(other[0]!.kind === "entry" && other[0]!.comm === "w\nLost 3");
});

Deno.test("parser reads an exec record's file name up to its end mark, newlines and all", () => {
  const name = "/tmp/i/a\nX 832350166390 9135 0 1\nS begin\nS end\nz/t";
  const recs = parseAll([`N 832350166387 9135 9038 0 0 0 ${name}\t832350166387`, "X 832350166391 9135 0 1"]);
  assert.deepEqual(recs.map((r) => r.kind), ["exec", "exit"]);
  assert.ok(recs[0]!.kind === "exec" && recs[0]!.filename === name && recs[0]!.pid === 9135);
  // The mark is the record's own time: another time does not end it.
  const wrong = parseAll(["N 5000000000 9135 9038 0 0 0 /a\t4000000000", "b\t5000000000"]);
  assert.ok(wrong[0]!.kind === "exec" && wrong[0]!.filename === "/a\t4000000000\nb");
  // One that never ends is reported, its lines not read as records.
  assert.deepEqual(parseAll(["N 5000000000 9135 9038 0 0 0 /a", "X 5000000001 9135 0 1"]).map((r) => r.kind), [
    "malformed",
  ]);
});

Deno.test("parser reads the READY record", () => {
  assert.deepEqual(parseAll(["READY 832305798223"]), [{ kind: "ready", ts: 832305798223 }]);
});

Deno.test("parser reports a READY record without a number as malformed", () => {
  const [r] = parseAll(["READY soon"]);
  assert.equal(r?.kind, "malformed");
});

Deno.test("parser reads a check with its multi-line kernel stack ended by a blank line", () => {
  const p = new LineParser();
  assert.deepEqual(p.push(CHECK), []);
  for (const f of STACK) assert.deepEqual(p.push(f), []);
  const [r] = p.push("");
  assert.deepEqual(r, {
    kind: "check",
    ts: 832350166387,
    pid: 9135,
    tid: 9136,
    ppid: 9038,
    uid: 65534,
    euid: 65534,
    cap: 0,
    ret: -1,
    sys: 260,
    userns: 4026531837,
    targetNs: 4026531838,
    ra: 0x55d1a0001189n,
    cs: 0x55d1a0000000n,
    comm: "chown",
    opts: 0,
  });
  assert.deepEqual(p.end(), []);
});

Deno.test("parser keeps spaces inside the comm of a check", () => {
  const [r] = parseAll([CHECK.replace(/chown$/, "Web Content"), STACK[0]!, ""]);
  assert.equal(r?.kind === "check" && r.comm, "Web Content");
});

Deno.test("parser keeps leading and trailing spaces of a comm", () => {
  const [r] = parseAll([CHECK.replace(/chown$/, " a b "), STACK[0]!, ""]);
  assert.equal(r?.kind === "check" && r.comm, " a b ");
});

Deno.test("parser keeps the bytes of a comm or an exec's file name that are not UTF-8, as escaped code units", () => {
  const p = new LineParser();
  const enc = new TextEncoder();
  const bytes = (text: string, raw: number[]) => {
    const [head, tail] = text.split("@");
    return new Uint8Array([...enc.encode(head), ...raw, ...enc.encode(tail)]);
  };
  const recs = [
    ...p.pushChunk(bytes(CHECK.replace(/chown$/, "@x\n"), [0xff, 0xfe])),
    ...p.pushChunk(enc.encode(`${STACK[0]}\n\n`)),
    ...p.pushChunk(bytes("E 1000 7 1 4026531841 0 0 /tmp/a@b\n", [0xe9])),
    ...p.end(),
  ];
  assert.equal(recs[0]?.kind === "check" && recs[0].comm, "\udcff\udcfex");
  assert.equal(recs[1]?.kind === "exec" && recs[1].filename, "/tmp/a\udce9b");
});

Deno.test("parser accepts a capability number it does not know", () => {
  const [r] = parseAll([CHECK.replace(" 0 -1 260 ", " 41 -1 260 "), ""]);
  assert.equal(r?.kind === "check" && r.cap, 41);
});

Deno.test("parser reads a syscall of -1 (no syscall in progress)", () => {
  const [r] = parseAll([CHECK.replace(" -1 260 ", " 0 -1 "), ""]);
  assert.ok(r?.kind === "check");
  assert.equal(r.sys, -1);
  assert.equal(r.ret, 0);
});

Deno.test("parser infers a check's opts from the callers in its stack", () => {
  const opts = (frames: string[]) => parseAll([CHECK, ...frames, ""]).map((r) => r.kind === "check" && r.opts);
  assert.deepEqual(opts(STACK), [0]);
  assert.deepEqual(opts([STACK[0]!, NOAUDIT_FRAME, ...STACK.slice(2)]), [2]);
  assert.deepEqual(opts([STACK[0]!, STACK[1]!, SETID_FRAME, STACK[3]!]), [4]);
  assert.deepEqual(opts([]), [0]);
});

Deno.test("parser emits a check cut off without its blank line when the next record starts", () => {
  const next = "E 832347207198 9135 9038 0 0 0 /usr/bin/chown";
  const recs = parseAll([CHECK, STACK[0]!, SETID_FRAME, next]);
  assert.deepEqual(recs.map((r) => r.kind), ["check", "exec"]);
  assert.equal(recs[0]?.kind === "check" && recs[0].opts, 4);
});

Deno.test("parser emits a check cut off by another check, then completes the second", () => {
  const second = CHECK.replace("chown", "true");
  const recs = parseAll([CHECK, NOAUDIT_FRAME, second, SETID_FRAME, ...STACK, ""]);
  assert.deepEqual(recs.map((r) => r.kind === "check" && r.comm), ["chown", "true"]);
  assert.deepEqual(recs.map((r) => r.kind === "check" && r.opts), [2, 4]);
});

Deno.test("parser emits a check cut off by the end of input", () => {
  const recs = parseAll([CHECK, NOAUDIT_FRAME]);
  assert.equal(recs.length, 1);
  assert.ok(recs[0]?.kind === "check");
  assert.equal(recs[0].opts, 2);
});

Deno.test("parser reads only the first 64 frames of a check whose blank line never comes", () => {
  const frames = Array.from({ length: 1000 }, (_, i) => `        f${i}+1`);
  const at = (i: number) => parseAll([CHECK, ...frames.toSpliced(i, 1, SETID_FRAME), ""]);
  const [r] = at(63);
  assert.ok(r?.kind === "check");
  assert.equal(r.opts, 4);
  assert.deepEqual(at(64).map((r) => r.kind === "check" && r.opts), [0]);
});

Deno.test("parser reports check records with missing or bad fields as malformed", () => {
  for (
    const line of [
      "C 1 2 3",
      "C 1 2 3 4 5 6 7 8 9 10 11 0 0",
      CHECK.replace("9135", "x"),
      CHECK.replace("55d1a0001189", "0xZZ"),
      CHECK.replace(" 65534 65534 ", " 65534  "),
      CHECK.replace(" -1 ", " - "),
      CHECK.replace(" 260 ", " 2x60 "),
      CHECK.replace(" 9136 ", " +9136 "),
    ]
  ) {
    const recs = parseAll([line]);
    assert.deepEqual(recs.map((r) => r.kind), ["malformed"], line);
    assert.ok(recs[0]?.kind === "malformed" && recs[0].reason === "bad check record");
  }
});

Deno.test("parser reads a kprobe entry record with opts", () => {
  const [r] = parseAll(["B 1000300100 201 202 200 1000 1000 13 2 41 4026531837 4026531837 0 0 Web Content"]);
  assert.deepEqual(r, {
    kind: "entry",
    ts: 1000300100,
    pid: 201,
    tid: 202,
    ppid: 200,
    uid: 1000,
    euid: 1000,
    cap: 13,
    opts: 2,
    sys: 41,
    userns: 4026531837,
    targetNs: 4026531837,
    ra: 0n,
    cs: 0n,
    comm: "Web Content",
  });
});

Deno.test("parser reports a short entry record as malformed", () => {
  const [r] = parseAll(["B 1 2 3 4 5 6 7 8"]);
  assert.ok(r?.kind === "malformed" && r.reason === "bad entry record");
});

Deno.test("parser reads a kprobe return record", () => {
  assert.deepEqual(parseAll(["R 10 42 -1"]), [{ kind: "return", ts: 10, tid: 42, ret: -1 }]);
});

Deno.test("parser reads numbers beyond 2^53 as Number() rounds them, and negative ones", () => {
  const big = "18446744073709551615";
  const [r] = parseAll([CHECK.replace("832350166387", big).replace(" 260 ", " -1 "), ...STACK, ""]);
  assert.ok(r?.kind === "check");
  assert.equal(r.ts, Number(big));
  assert.equal(r.sys, -1);
  assert.deepEqual(parseAll(["R 9007199254740993 7 -13"]), [
    { kind: "return", ts: Number("9007199254740993"), tid: 7, ret: -13 },
  ]);
});

Deno.test("parser reports return records with the wrong field count as malformed", () => {
  for (const line of ["R 10 42", "R 10 42 -1 7", "R a b c", "R 10 42 -1 ", "R 10 42 -"]) {
    const [r] = parseAll([line]);
    assert.ok(r?.kind === "malformed" && r.reason === "bad return record", line);
  }
});

Deno.test("parser reads an exec record whose filename holds spaces", () => {
  assert.deepEqual(parseAll(["E 5 201 200 4026531841 ffff8a2c4d1e2f00:ffff8a2c40001200 2 /opt/My App/bin/run"]), [
    {
      kind: "exec",
      ts: 5,
      pid: 201,
      ppid: 200,
      mntNs: 4026531841,
      root: "ffff8a2c4d1e2f00:ffff8a2c40001200",
      rootIno: 2,
      filename: "/opt/My App/bin/run",
      exeIno: 0,
    },
  ]);
});

Deno.test("parser reads the executed file's inode after an exec record's end, and records without it", () => {
  const head = "N 5 201 200 4026531841 ffff8a2c4d1e2f00:ffff8a2c40001200 2 ";
  const [withIno, without, tabbed, split] = parseAll([
    `${head}./run\t5\t131077`,
    `${head}./run\t5`,
    // A name may hold tabs and digits: only the record's own time ends it.
    `${head}./a\t7\t5\t99`,
    `${head}./line`,
    "two\t5\t42",
  ]);
  assert.deepEqual([withIno?.kind, withIno?.kind === "exec" && [withIno.filename, withIno.exeIno]], ["exec", [
    "./run",
    131077,
  ]]);
  assert.deepEqual(without?.kind === "exec" && [without.filename, without.exeIno], ["./run", 0]);
  assert.deepEqual(tabbed?.kind === "exec" && [tabbed.filename, tabbed.exeIno], ["./a\t7", 99]);
  assert.deepEqual(split?.kind === "exec" && [split.filename, split.exeIno], ["./line\ntwo", 42]);
  // A u64 inode of 20 digits (FUSE file systems that hash paths give such): the record ends there all the same.
  const [big, after] = parseAll([`${head}./run\t5\t13835058055282163713`, "X 6 201 0 0"]);
  assert.deepEqual(big?.kind === "exec" && [big.filename, big.exeIno], ["./run", 13835058055282163713]);
  assert.equal(after?.kind, "exit");
});

Deno.test("parser reads a READY record with captrace's namespace and root, and one without", () => {
  assert.deepEqual(parseAll(["READY 9 4026531841 ffff8a2c4d1e2f00:ffff8a2c40001200", "READY 10"]), [
    { kind: "ready", ts: 9, mntNs: 4026531841, root: "ffff8a2c4d1e2f00:ffff8a2c40001200" },
    { kind: "ready", ts: 10 },
  ]);
  for (const line of ["READY 9 4026531841", "READY 9 x ffff", "READY 9 1 FFFF:1", "READY 9 1 ff", "READY 9 1 ff:1 2"]) {
    assert.equal(parseAll([line])[0]?.kind, "malformed", line);
  }
});

Deno.test("parser gives up an exec record without its end after a file name's most bytes, and reads on", () => {
  const exit = (i: number) => `X ${5000000001 + i} ${10000 + i} 0 0`;
  const lines = ["N 5000000000 9135 9038 0 0 0 /a", ...Array.from({ length: 1000 }, (_, i) => exit(i))];
  const recs = parseAll(lines);
  assert.ok(recs[0]?.kind === "malformed" && recs[0].reason === "exec record without its end");
  // No more than PATH_MAX bytes of lines (some 200 of these) are taken for its name: the rest are records again.
  const exits = recs.filter((r) => r.kind === "exit");
  assert.ok(exits.length >= 750 && exits.length < 1000, String(exits.length));
  assert.ok(exits.at(-1)?.kind === "exit" && exits.at(-1)!.pid === 10999);
});

Deno.test("parser reports a short exec record as malformed", () => {
  for (const line of ["E 5 201 200", "E 5 201 200 /bin/true", "E 5 201 200 1 2 /bin/true", "E 5 201 200 1 xz 2 /x"]) {
    const [r] = parseAll([line]);
    assert.ok(r?.kind === "malformed" && r.reason === "bad exec record", line);
  }
});

Deno.test("parser reads exit records and the root flag", () => {
  assert.deepEqual(parseAll(["X 9 9038 768 1", "X 10 9135 256 0"]), [
    { kind: "exit", ts: 9, pid: 9038, status: 768, root: true },
    { kind: "exit", ts: 10, pid: 9135, status: 256, root: false },
  ]);
});

Deno.test("parser reports an exit record with a missing field as malformed", () => {
  const [r] = parseAll(["X 9 9038 768"]);
  assert.ok(r?.kind === "malformed" && r.reason === "bad exit record");
});

Deno.test("parser reads fork records, and reports one with a missing or bad field as malformed", () => {
  assert.deepEqual(parseAll(["F 9 301 300 51648261488655", "F 9 301 300"]), [
    { kind: "fork", ts: 9, pid: 301, ppid: 300, mark: 51648261488655 },
    { kind: "fork", ts: 9, pid: 301, ppid: 300, mark: null }, // made before marks
  ]);
  for (const line of ["F 9 301", "F 9 301 x", "F 9 301 300 -1", "F 9 301 300 1 2"]) {
    const [r] = parseAll([line]);
    assert.ok(r?.kind === "malformed" && r.reason === "bad fork record", line);
  }
});

Deno.test("parser reads pid reuse records, also between an entry and its return, and reports bad ones", () => {
  const entry = "B 832350166387 9135 9135 9038 65534 65534 6 0 116 4026531837 4026531837 0 0 sh";
  assert.deepEqual(parseAll([entry, "P 832350166401 9135 832350100512", "R 832350166420 9135 -1"]).slice(1), [
    { kind: "reused", ts: 832350166401, pid: 9135, start: 832350100512 },
    { kind: "return", ts: 832350166420, tid: 9135, ret: -1 },
  ]);
  assert.equal(parseAll([entry, "P 832350166401 9135 832350100512"])[0]?.kind, "entry");
  for (const line of ["P 9 301", "P 9 x 5", "P 9 0 5", "P 9 301 5 6"]) {
    const [r] = parseAll([line]);
    assert.ok(r?.kind === "malformed" && r.reason === "bad pid reuse record", line);
  }
});

Deno.test("parser reads lost-events lines", () => {
  assert.deepEqual(parseAll(["Lost 12 events"]), [{ kind: "lost", count: 12 }]);
});

Deno.test("parser ignores bpftrace's attaching line, singular and plural", () => {
  assert.deepEqual(parseAll(["Attaching 7 probes...", "Attaching 1 probe..."]), []);
});

Deno.test("parser ignores the stack printed after READY to warm bpftrace's symbols, however many frames it has", () => {
  for (const frames of [[], ["        _einittext+1015206711"], STACK]) {
    const out = parseAll(["READY 5", "W", ...frames, CHECK, ...STACK, "", "R 1 2 0"]);
    assert.deepEqual(out.map((r) => r.kind), ["ready", "check", "return"]);
    assert.equal(out[1]?.kind === "check" && out[1].pid, 9135);
  }
  // Only frames follow it: a frame-like line after a record is still reported.
  assert.deepEqual(parseAll(["W", "R 1 2 0", "        cap_capable+131"]).map((r) => r.kind), ["return", "malformed"]);
});

Deno.test("parser ignores blank lines between records", () => {
  assert.deepEqual(parseAll(["", "", "R 1 2 0", ""]).map((r) => r.kind), ["return"]);
});

const SUMMARY = [
  "S begin",
  "@n: 117",
  "@launcher: 4",
  "@agg[1, 9137, 6, 0, 116, ",
  "    cap_capable+131",
  "    security_capable+59",
  "    ns_capable_setid+45",
  "    __do_sys_setgroups+55",
  "]: 1",
  "@agg[0, 200, 12, -1, 54, 2]: 3",
  "S end",
];

Deno.test("parser reads the END summary: totals, multi-line stack keys and single-line opts keys", () => {
  assert.deepEqual(parseAll(SUMMARY), [
    { kind: "summary_begin" },
    { kind: "total", name: "n", value: 117 },
    { kind: "total", name: "launcher", value: 4 },
    {
      kind: "agg",
      pid: 9137,
      cap: 6,
      ret: 0,
      sys: 116,
      initialNs: true,
      tolerated: false,
      program: null,
      fallbackFor: null,
      stack: ["cap_capable+131", "security_capable+59", "ns_capable_setid+45", "__do_sys_setgroups+55"],
      opts: null,
      count: 1,
    },
    {
      kind: "agg",
      pid: 200,
      cap: 12,
      ret: -1,
      sys: 54,
      initialNs: true,
      tolerated: false,
      program: null,
      fallbackFor: null,
      stack: null,
      opts: 2,
      count: 3,
    },
    { kind: "summary_end" },
  ]);
});

Deno.test("parser reads whether a summary entry's checks were against the initial user namespace", () => {
  const recs = parseAll([
    "S begin",
    "@agg[1, 9137, 21, 0, 272, 0, ",
    "    cap_capable+131",
    "]: 3",
    "@agg[1, 9137, 21, 0, 272, 1, ",
    "    cap_capable+131",
    "]: 4",
    "@agg[0, 200, 12, -1, 54, 0, 2]: 5",
    "@agg[0, 200, 12, -1, 54, 1, 0]: 6",
    "S end",
  ]);
  const aggs = recs.filter((r) => r.kind === "agg");
  assert.deepEqual(aggs.map((a) => [a.initialNs, a.stack, a.opts, a.count]), [
    [false, ["cap_capable+131"], null, 3],
    [true, ["cap_capable+131"], null, 4],
    [false, null, 2, 5],
    [true, null, 0, 6],
  ]);
  assert.deepEqual(aggs.map((a) => [a.pid, a.cap, a.ret, a.sys]), [
    [9137, 21, 0, 272],
    [9137, 21, 0, 272],
    [200, 12, -1, 54],
    [200, 12, -1, 54],
  ]);
});

Deno.test("parser reads the mark of the program a summary entry's process ran, with a stack or opts", () => {
  const recs = parseAll([
    "S begin",
    "@agg[1, 9137, 21, 0, 272, 1, 51648261488655, ",
    "    cap_capable+131",
    "]: 3",
    "@agg[0, 200, 12, -1, 54, 1, 1, 2]: 5",
    "@agg[0, 200, 12, -1, 54, 1, 2]: 6",
    "S end",
  ]);
  const aggs = recs.filter((r) => r.kind === "agg");
  assert.deepEqual(aggs.map((a) => [a.pid, a.initialNs, a.program, a.stack, a.opts, a.count]), [
    [9137, true, 51648261488655, ["cap_capable+131"], null, 3],
    [200, true, 1, null, 2, 5],
    [200, true, null, null, 2, 6],
  ]);
});

Deno.test("parser reads the narrow capability a summary entry's broad check stood in for", () => {
  const recs = parseAll([
    "S begin",
    "@agg[1, 9137, 1, -1, 257, 1, 51648261488655, 2, ",
    "    cap_capable+131",
    "]: 3",
    "@agg[0, 200, 21, -1, 298, 1, 0, 0, 0]: 5",
    "@agg[0, 200, 21, -1, 298, 1, 0, 38, 0]: 6",
    "S end",
  ]);
  const aggs = recs.filter((r) => r.kind === "agg");
  assert.deepEqual(aggs.map((a) => [a.cap, a.program, a.fallbackFor, a.opts, a.count]), [
    [1, 51648261488655, 2, null, 3],
    [21, 0, null, 0, 5],
    [21, 0, 38, 0, 6],
  ]);
});

Deno.test("parser rejects a summary entry whose namespace field is not 0 or 1, or that has too many fields", () => {
  const recs = parseAll([
    "S begin",
    "@agg[0, 1, 2, 3, 4, 2, 0]: 6",
    "@agg[0, 1, 2, 3, 4, 2, 7, 0]: 6",
    "@agg[0, 1, 2, 3, 4, 1, -7, 0]: 6",
    "@agg[0, 1, 2, 3, 4, 1, 7, -2, 0]: 6",
    "@agg[0, 1, 2, 3, 4, 1, 7, 2, 0, 9]: 6",
    "S end",
  ]);
  assert.deepEqual(recs.map((r) => r.kind), [
    "summary_begin",
    "malformed",
    "malformed",
    "malformed",
    "malformed",
    "malformed",
    "summary_end",
  ]);
});

Deno.test("parser reads tolerated records, and summary entries counted as tolerated (init 3; 9: setuid(0))", () => {
  const recs = parseAll([
    "T 832350166387 9137",
    "S begin",
    "@agg[0, 9137, 7, -1, 105, 3, ",
    "    cap_capable+131",
    "]: 2",
    "@agg[0, 9137, 7, -1, 105, 1, 0]: 1",
    "@agg[0, 9137, 7, -1, 105, 2, 0]: 1",
    "@agg[0, 9137, 7, -1, 105, 9, 0, 0, 4]: 5",
    "S end",
    "T 832350166387 0",
    "T 9137",
  ]);
  assert.deepEqual(recs[0], { kind: "tolerated", tid: 9137 });
  const aggs = recs.filter((r) => r.kind === "agg");
  assert.deepEqual(aggs.map((a) => [a.initialNs, a.tolerated, a.regain ?? false, a.count]), [
    [true, true, false, 2],
    [true, false, false, 1],
    [true, false, true, 5],
  ]);
  assert.deepEqual(recs.filter((r) => r.kind === "malformed").map((r) => r.reason), [
    "bad summary entry",
    "bad tolerated record",
    "bad tolerated record",
  ]);
});

Deno.test("parser reads summary entries of another namespace's checks against the initial one (init 4)", () => {
  const recs = parseAll([
    "S begin",
    "@agg[0, 9137, 23, -1, 140, 4, 0, 0, 0]: 2",
    "@agg[0, 9137, 21, 0, 272, 0, 0, 0, 0]: 1",
    "@agg[0, 9137, 21, 0, 272, 5, 0, 0, 0]: 1",
    "S end",
  ]);
  const aggs = recs.filter((r) => r.kind === "agg");
  assert.deepEqual(aggs.map((a) => [a.cap, a.initialNs, a.againstInitial ?? false, a.count]), [
    [23, false, true, 2],
    [21, false, false, 1],
  ]);
  assert.deepEqual(recs.filter((r) => r.kind === "malformed").map((r) => r.reason), ["bad summary entry"]);
});

Deno.test("parser reads a stack-keyed summary entry with an empty stack", () => {
  const recs = parseAll(["S begin", "@agg[0, 1, 21, 0, -1, ", "]: 5", "S end"]);
  assert.deepEqual(recs[1], {
    kind: "agg",
    pid: 1,
    cap: 21,
    ret: 0,
    sys: -1,
    initialNs: true,
    tolerated: false,
    program: null,
    fallbackFor: null,
    stack: [],
    opts: null,
    count: 5,
  });
});

Deno.test("parser ignores the cleared maps bpftrace prints after S end, but still reads late records", () => {
  const recs = parseAll([...SUMMARY, "", "", "@n: 0", "@agg[0, 1, 2, 3, 4, 5]: 6", "E 5 6 7 0 0 0 /bin/late"]);
  assert.equal(recs.filter((r) => r.kind === "malformed").length, 0);
  assert.deepEqual(recs.slice(-2).map((r) => r.kind), ["summary_end", "exec"]);
});

Deno.test("parser treats map lines outside the summary as malformed", () => {
  const recs = parseAll(["@n: 5", "@agg[0, 1, 2, 3, 4, 5]: 6"]);
  assert.deepEqual(recs.map((r) => r.kind), ["malformed", "malformed"]);
});

Deno.test("parser reports a summary entry cut short by the end of input", () => {
  const recs = parseAll(["S begin", "@agg[0, 1, 2, 3, 4, ", "    cap_capable+131"]);
  assert.deepEqual(recs.map((r) => r.kind), ["summary_begin", "malformed"]);
  assert.ok(recs[1]?.kind === "malformed" && recs[1].reason === "summary entry cut short");
});

Deno.test("parser gives up on a summary entry with too many frames", () => {
  const frames = Array.from({ length: 100 }, () => "    f+1");
  const recs = parseAll(["S begin", "@agg[0, 1, 2, 3, 4, ", ...frames]);
  assert.ok(recs[1]?.kind === "malformed" && recs[1].reason === "summary entry too long");
});

Deno.test("parser reports a bad summary marker and a bad summary entry", () => {
  const recs = parseAll(["S middle", "S begin", "@agg[0, x, 2, 3, 4, 5]: 6"]);
  assert.deepEqual(recs.map((r) => r.kind), ["malformed", "summary_begin", "malformed"]);
});

Deno.test("parser refuses a summary entry without its CPU, as an older program printed it", () => {
  const recs = parseAll(["S begin", "@agg[200, 12, -1, 54, 2]: 3", "@agg[-1, 200, 12, -1, 54, 2]: 3", "S end"]);
  assert.deepEqual(recs.map((r) => r.kind), ["summary_begin", "malformed", "malformed", "summary_end"]);
});

Deno.test("parser reports unknown and junk lines as malformed, keeping the line", () => {
  for (const line of ["hello", "Z 1 2 3", "c 1 2 3", "READY", "Lost many events", "ERROR: something"]) {
    const [r] = parseAll([line]);
    assert.ok(r?.kind === "malformed", line);
    assert.equal(r.line, line);
  }
});

Deno.test("parser strips CRLF line endings from every record type", () => {
  const crlf = [
    "READY 5",
    CHECK,
    ...STACK.slice(0, 2),
    SETID_FRAME,
    "",
    "B 1 2 3 4 5 6 7 8 9 10 11 0 0 x y",
    "R 1000000001 2 -1",
    "E 1 2 3 0 0 0 /bin/true",
    "X 1 2 0 1",
    "Lost 3 events",
    ...SUMMARY,
  ].map((l) => l + "\r");
  const recs = parseAll(crlf);
  assert.equal(recs.filter((r) => r.kind === "malformed").length, 0);
  assert.deepEqual(recs.map((r) => r.kind), [
    "ready",
    "check",
    "entry",
    "return",
    "exec",
    "exit",
    "lost",
    "summary_begin",
    "total",
    "total",
    "agg",
    "agg",
    "summary_end",
  ]);
  const check = recs[1]!;
  assert.ok(check.kind === "check");
  assert.equal(check.comm, "chown");
  assert.equal(check.opts, 4);
  const entry = recs[2]!;
  assert.ok(entry.kind === "entry" && entry.comm === "x y");
});

Deno.test("parser reports a 1 MiB line in a stream as malformed without crashing", () => {
  const parser = new LineParser();
  const recs: TraceRecord[] = [];
  // Arrives in 64 KiB chunks, as a pipe delivers it, followed by a good record.
  const bytes = new TextEncoder().encode("C " + "7".repeat(1024 * 1024) + "\nR 1 2 0\n");
  for (let i = 0; i < bytes.length; i += 65536) parser.pushChunk(bytes.subarray(i, i + 65536), recs);
  recs.push(...parser.end());
  assert.deepEqual(recs.map((r) => r.kind), ["malformed", "return"]);
  const bad = recs[0]!;
  assert.ok(bad.kind === "malformed");
  assert.match(bad.reason, /longer than/);
  assert.ok(bad.line.length < 300);
});

Deno.test("parser reports an over-long line as malformed however it is cut, a carriage return after the cut too", () => {
  // Byte MAX_LINE + 1 is a carriage return: a line cut there must not pass for one of MAX_LINE bytes.
  const bytes = new TextEncoder().encode("R 1 2 " + "0".repeat(MAX_LINE - 6) + "\rjunk\nR 3 4 0\n");
  for (const size of [bytes.length, 65536, 4096]) {
    const p = new LineParser();
    const recs: TraceRecord[] = [];
    for (let i = 0; i < bytes.length; i += size) p.pushChunk(bytes.subarray(i, i + size), recs);
    recs.push(...p.end());
    assert.deepEqual(recs.map((r) => r.kind === "malformed" ? r.reason : r.kind), [
      `line longer than ${MAX_LINE} bytes`,
      "return",
    ], `chunks of ${size}`);
  }
});

Deno.test("parser reads a stream in chunks as it reads its lines one by one, wherever the chunks end", async () => {
  const text = await Deno.readTextFile(new URL("./testdata/tracepoint_pid.txt", import.meta.url)) +
    "C 9 1 1 0 0 0 0 -1 105 1 1 0 0 ünï 🦕\r\n        ns_capable_setid+45\r\n\r\nR 10 1 -1\r\nR 11 1 0";
  const byLine = parseAll(text.split("\n"));
  assert.ok(byLine.length > 100);
  assert.deepEqual(byLine.slice(-3).map((r) => r.kind), ["check", "return", "return"]);
  const bytes = new TextEncoder().encode(text);
  for (const size of [1, 2, 3, 7, 64, 4093, bytes.length]) {
    const p = new LineParser();
    const recs: TraceRecord[] = [];
    for (let i = 0; i < bytes.length; i += size) p.pushChunk(bytes.subarray(i, i + size), recs);
    recs.push(...p.end());
    assert.deepEqual(recs, byLine, `chunks of ${size}`);
  }
});

Deno.test("parser reads a line carried across chunks to its own end, not into what an earlier one left", () => {
  const p = new LineParser();
  const recs: TraceRecord[] = [];
  const bytes = new TextEncoder().encode("R 1 2 3456789012\nR 1 2 3\n");
  for (const [from, to] of [[0, 8], [8, 20], [20, 23], [23, bytes.length]]) p.pushChunk(bytes.subarray(from, to), recs);
  assert.deepEqual(recs.map((r) => r.kind === "return" && r.ret), [3456789012, 3]);
});

Deno.test("parser reports an over-long line given directly as malformed", () => {
  const [r] = parseAll(["x".repeat(MAX_LINE + 1)]);
  assert.ok(r?.kind === "malformed" && /longer than/.test(r.reason));
});

Deno.test("parser reads a second summary after the first, as END prints one after an incomplete request", () => {
  const p = new LineParser();
  const kinds = ["S begin", "@n: 1", "S end", "@n: 0", "S begin", "@n: 2", "S end"].flatMap((l) =>
    p.push(l).map((r) => r.kind === "total" ? `total ${r.value}` : r.kind)
  );
  assert.deepEqual(kinds, ["summary_begin", "total 1", "summary_end", "summary_begin", "total 2", "summary_end"]);
});

Deno.test("parser tells END's summary (S begin <ts> END) from one captrace asked for", () => {
  const recs = parseAll(["S begin 42", "S end 43", "S begin 44 END", "S end 45", "S begin 46 EN", "S begin END"]);
  assert.deepEqual(recs.slice(0, 4), [
    { kind: "summary_begin" },
    { kind: "summary_end" },
    { kind: "summary_begin", atEnd: true },
    { kind: "summary_end" },
  ]);
  assert.deepEqual(recs.slice(4).map((r) => r.kind), ["malformed", "malformed"]);
});
