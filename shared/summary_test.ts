/** Tests of the summary: exact per-capability counts, the text table and the completeness line. */

import assert from "node:assert/strict";
import { parseBaseline } from "./baseline.ts";
import { formatCompleteness, formatSummary, summarize, summaryEvent } from "./summary.ts";
import { recommend } from "./recommend.ts";
import type { AggEntry } from "./correlator.ts";

const AGG: AggEntry[] = [
  { pid: 9135, cap: 0, ret: -1, sys: 260, initialNs: true, opts: 0, count: 1 },
  { pid: 9137, cap: 0, ret: -1, sys: 92, initialNs: true, opts: 0, count: 3 },
  { pid: 9135, cap: 21, ret: 0, sys: 9, initialNs: true, opts: 2, count: 40 },
  { pid: 9136, cap: 21, ret: -1, sys: 59, initialNs: true, opts: 2, count: 5 },
  { pid: 9141, cap: 21, ret: 0, sys: 321, initialNs: true, opts: 0, count: 1 },
  { pid: 9135, cap: 7, ret: 0, sys: 117, initialNs: true, opts: 4, count: 2 },
  { pid: 9135, cap: 21, ret: 0, sys: -1, initialNs: true, opts: 2, count: 1 },
  { pid: 1, cap: 41, ret: -1, sys: 9999, initialNs: true, opts: 0, count: 1 },
];

Deno.test("summarize counts exactly per capability: allowed/denied and audited/noaudit", () => {
  const rows = summarize(AGG);
  assert.deepEqual(rows.map((r) => r.cap), [0, 7, 21, 41]);
  assert.deepEqual(rows[0], {
    cap: 0,
    cap_name: "cap_chown",
    checks: 4,
    allowed: 0,
    denied: 4,
    audited: 4,
    noaudit: 0,
    syscalls: ["chown", "fchownat"],
    pids: [9135, 9137],
  });
  assert.deepEqual(rows[1], {
    cap: 7,
    cap_name: "cap_setuid",
    checks: 2,
    allowed: 2,
    denied: 0,
    audited: 2,
    noaudit: 0,
    syscalls: ["setresuid"],
    pids: [9135],
  });
  assert.deepEqual(rows[2], {
    cap: 21,
    cap_name: "cap_sys_admin",
    checks: 47,
    allowed: 42,
    denied: 5,
    audited: 1,
    noaudit: 46,
    syscalls: ["-", "bpf", "execve", "mmap"],
    pids: [9135, 9136, 9141],
  });
});

Deno.test("summarize shows unknown capabilities and syscalls by number", () => {
  const row = summarize(AGG).at(-1)!;
  assert.equal(row.cap_name, null);
  assert.deepEqual(row.syscalls, ["9999"]);
});

Deno.test("summarize does not name syscalls on other architectures", () => {
  assert.deepEqual(summarize([AGG[0]!], "aarch64")[0]?.syscalls, ["260"]);
});

Deno.test("summarize gives no rows for an empty aggregate", () => {
  assert.deepEqual(summarize([]), []);
});

const TOTALS = { seen: 54, shown: 6, hidden: 46, lost: 2, malformed: 0, unsummarized: 0 };

Deno.test("formatSummary prints an aligned table under 80 columns, then every format", () => {
  const rows = summarize(AGG);
  const rec = recommend({ agg: AGG, narrowings: [], alone: new Map([[21, 1]]), binary: "/usr/bin/chown" });
  const text = formatSummary(summaryEvent(rows, rec, TOTALS, "tracepoint", []));
  const lines = text.split("\n");
  const pad = " ".repeat(68);
  assert.deepEqual(lines.slice(0, 8), [
    "capability             checks allowed  denied audited noaudit procs syscalls",
    "---------------------- ------ ------- ------- ------- ------- ----- -----------",
    "cap_chown                   4       0       4       4       0     2 chown,",
    `${pad}fchownat`,
    "cap_setuid                  2       2       0       2       0     1 setresuid",
    "cap_sys_admin              47      42       5       1      46     3 -,bpf,",
    `${pad}execve,mmap`,
    "41                          1       0       1       1       0     1 9999",
  ]);
  for (const l of lines.slice(0, 8)) assert.ok(l.length < 80, l);
  // The text is a baseline of its recommendation (--baseline of a -c trace).
  assert.deepEqual(parseBaseline(text), rec.capabilities);
  assert.deepEqual(lines.slice(8), [
    "",
    "Recommendation: CAP_CHOWN CAP_SETUID CAP_SYS_ADMIN CAP_41",
    "  Covers only the code paths this run exercised; no-audit probing checks are left out. CAP_41 is a " +
    "capability this version of captrace has no name for: setcap and systemd take it by number; docker, compose " +
    "and Kubernetes only by name, and leave it out here. /usr/bin/chown is a system tool: setcap on it gives every " +
    "user who runs it its capabilities; a copy of its own, or its service or container (below), keeps them to this use.",
    "",
    "setcap:",
    "  setcap cap_chown,cap_setuid,cap_sys_admin,41+ep /usr/bin/chown",
    "systemd unit ([Service]):",
    "  CapabilityBoundingSet=CAP_CHOWN CAP_SETUID CAP_SYS_ADMIN 41",
    "  AmbientCapabilities=CAP_CHOWN CAP_SETUID CAP_SYS_ADMIN 41",
    "docker:",
    "  docker run --cap-drop=ALL --cap-add=CHOWN --cap-add=SETUID --cap-add=SYS_ADMIN IMAGE",
    "docker compose (service):",
    "  cap_drop:",
    "    - ALL",
    "  cap_add:",
    "    - CHOWN",
    "    - SETUID",
    "    - SYS_ADMIN",
    "Kubernetes (container):",
    "  securityContext:",
    "    capabilities:",
    '      drop: ["ALL"]',
    '      add: ["CHOWN", "SETUID", "SYS_ADMIN"]',
  ]);
});

Deno.test("formatSummary wraps a long syscall list under its column, cutting nothing", () => {
  const names = ["read", "write", "open", "close", "stat", "fstat", "perf_event_open", "bpf"];
  const agg = names.map((_, sys) => ({ pid: 1, cap: 0, ret: 0, sys, initialNs: true, opts: 0, count: 1 }));
  agg.push({ ...agg[0]!, sys: 298 }); // perf_event_open
  agg.push({ ...agg[0]!, sys: 321 }); // bpf
  const rec = recommend({ agg, narrowings: [], alone: new Map() });
  const rows = formatSummary(summaryEvent(summarize(agg), rec, TOTALS, "tracepoint", [])).split("\n").slice(2, 7);
  const pad = " ".repeat(68);
  assert.deepEqual(rows, [
    "cap_chown                  10      10       0      10       0     1 bpf,close,",
    `${pad}fstat,`,
    `${pad}lstat,open,`,
    `${pad}perf_event_open,`,
    `${pad}poll,read,`,
  ]);
  const rest = formatSummary(summaryEvent(summarize(agg), rec, TOTALS, "tracepoint", [])).split("\n").slice(7, 9);
  assert.deepEqual(rest, [`${pad}stat,write`, ""], "the last line of the list, then the blank line after the table");
});

Deno.test("formatSummary says so when there were no checks and nothing is needed", () => {
  const rec = recommend({ agg: [], narrowings: [], alone: new Map(), binary: "/usr/bin/true" });
  const text = formatSummary(summaryEvent([], rec, TOTALS, "tracepoint", []));
  assert.ok(text.includes("\n(no capability checks)\n"));
  assert.ok(text.includes("\nRecommendation: no capabilities needed.\n"));
  assert.ok(text.includes("\n  setcap -r /usr/bin/true\n"));
});

Deno.test("formatSummary explains each narrowed capability", () => {
  const agg: AggEntry[] = [
    { pid: 1, cap: 38, ret: -1, sys: 298, initialNs: true, opts: 0, count: 1 },
    { pid: 1, cap: 21, ret: 0, sys: 298, initialNs: true, opts: 0, count: 1 },
  ];
  const rec = recommend({ agg, narrowings: [{ cap: 38, count: 1, insteadOf: 21 }], alone: new Map() });
  const text = formatSummary(summaryEvent(summarize(agg), rec, TOTALS, "kprobe", []));
  assert.ok(text.includes("\nRecommendation: CAP_PERFMON\n"));
  assert.ok(
    text.includes(
      "\n  CAP_PERFMON instead of CAP_SYS_ADMIN: the kernel checked CAP_PERFMON first and fell back to " +
        "CAP_SYS_ADMIN (1×)\n",
    ),
  );
});

Deno.test("summaryEvent builds a v1 summary object", () => {
  const rec = recommend({ agg: [], narrowings: [], alone: new Map() });
  assert.deepEqual(summaryEvent([], rec, TOTALS, "kprobe", ["x"]), {
    v: 1,
    type: "summary",
    capabilities: [],
    recommendation: rec,
    totals: TOTALS,
    probe: "kprobe",
    limits: ["x"],
  });
});

Deno.test("formatCompleteness reports seen, shown, hidden with reasons, lost and the probe's limits", () => {
  assert.equal(
    formatCompleteness(TOTALS, "tracepoint:capability:cap_capable", ["audit flags inferred from the kernel caller"], {
      noaudit: 40,
      repeats: 4,
      launcher: 3,
    }),
    "captrace: 54 checks seen, 6 shown, 46 hidden (40 no-audit, 4 repeats), 2 lost, " +
      "3 launcher checks before exec left out; " +
      "probe tracepoint:capability:cap_capable (audit flags inferred from the kernel caller)",
  );
});

Deno.test("formatCompleteness counts the checks dropped once the trace's reader went away apart from those shown", () => {
  const t = { seen: 10, shown: 1, hidden: 0, lost: 0, malformed: 0, unsummarized: 0 };
  assert.match(
    formatCompleteness(t, "kprobe:cap_capable", [], { noaudit: 0, repeats: 0, launcher: 0, dropped: 9 }),
    /^captrace: 10 checks seen, 1 shown, 9 dropped \(the trace's reader went away\), 0 hidden /,
  );
  assert.match(
    formatCompleteness(t, "kprobe:cap_capable", [], {
      noaudit: 0,
      repeats: 0,
      launcher: 0,
      dropped: 9,
      unwritable: true,
    }),
    / 9 dropped \(the trace could not be written\), /,
  );
});

Deno.test("formatCompleteness says when the repeats held back may be no-audit checks too", () => {
  const t = { seen: 15006, shown: 2, hidden: 15004, lost: 0, malformed: 0, unsummarized: 9000 };
  assert.match(
    formatCompleteness(t, "kprobe:cap_capable", [], { noaudit: 2, repeats: 15002, launcher: 0, untold: true }),
    / 15004 hidden \(2 no-audit, 15002 repeats or no-audit\), /,
  );
});

Deno.test("formatCompleteness mentions launcher checks, unreadable lines and a full map only when there were some", () => {
  const detail = { noaudit: 0, repeats: 0, launcher: 0 };
  const t = { seen: 1, shown: 1, hidden: 0, lost: 0, malformed: 0, unsummarized: 0 };
  assert.equal(
    formatCompleteness(t, "kprobe:cap_capable", [], detail),
    "captrace: 1 checks seen, 1 shown, 0 hidden (0 no-audit, 0 repeats), 0 lost; " +
      "probe kprobe:cap_capable",
  );
  assert.match(
    formatCompleteness({ ...t, malformed: 3 }, "kprobe:cap_capable", ["a", "b"], detail),
    /, 0 lost, 3 unreadable tracer lines; probe kprobe:cap_capable \(a; b\)$/,
  );
  assert.match(
    formatCompleteness({ ...t, shown: 0, hidden: 1 }, "kprobe:cap_capable", [], { ...detail, summaryOnly: true }),
    /^captrace: 1 checks seen, 0 shown, 1 hidden \(--summary-only\), 0 lost; probe kprobe:cap_capable$/,
  );
  assert.match(
    formatCompleteness({ ...t, unsummarized: 7 }, "kprobe:cap_capable", [], detail),
    /, 0 lost, 7 missing from the summary; probe kprobe:cap_capable$/,
  );
});

Deno.test("formatCompleteness never splits hidden checks into more than there are", () => {
  // Lost events may be execs and exits, not only checks: hidden (seen - shown - lost) can fall below the no-audit
  // checks received.
  const t = { seen: 330, shown: 11, hidden: 309, lost: 10, malformed: 0, unsummarized: 0 };
  assert.match(
    formatCompleteness(t, "kprobe:cap_capable", [], { noaudit: 312, repeats: 0, launcher: 0 }),
    / 309 hidden \(309 no-audit, 0 repeats\), 10 lost;/,
  );
  assert.match(
    formatCompleteness(t, "kprobe:cap_capable", [], { noaudit: 300, repeats: 20, launcher: 0 }),
    / 309 hidden \(300 no-audit, 9 repeats\), 10 lost;/,
  );
});
