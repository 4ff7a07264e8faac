/** Tests of the recommendation: which capabilities, narrowing, and every paste-ready format. */

import assert from "node:assert/strict";
import { parseBaseline } from "./baseline.ts";
import { formats, recommend } from "./recommend.ts";
import type { AggEntry } from "./correlator.ts";
import { ProgramUsage } from "./program_usage.ts";
import type { ProgramFile } from "./program_map.ts";

function agg(cap: number, over: Partial<AggEntry> = {}): AggEntry {
  return { pid: 1, cap, ret: 0, sys: 260, initialNs: true, opts: 0, count: 1, ...over };
}

Deno.test("recommend lists audited capabilities, used or refused, sorted by number, once each", () => {
  const r = recommend({
    agg: [agg(13, { ret: -1 }), agg(0), agg(0, { pid: 2 }), agg(12)],
    narrowings: [],
    alone: new Map(),
  });
  assert.deepEqual(r.capabilities, ["CAP_CHOWN", "CAP_NET_ADMIN", "CAP_NET_RAW"]);
  assert.deepEqual(r.narrowed, []);
});

Deno.test("recommend leaves out no-audit checks and empty counts", () => {
  const r = recommend({
    agg: [agg(21, { opts: 2, count: 40 }), agg(21, { opts: 6 }), agg(7, { opts: 4 }), agg(5, { count: 0 })],
    narrowings: [],
    alone: new Map(),
  });
  assert.deepEqual(r.capabilities, ["CAP_SETUID"]);
});

Deno.test("recommend gives an empty set and formats that grant nothing", () => {
  const r = recommend({ agg: [], narrowings: [], alone: new Map(), binary: "/usr/bin/true" });
  assert.deepEqual(r.capabilities, []);
  assert.equal(r.setcap, "setcap -r /usr/bin/true");
  assert.equal(r.systemd, "CapabilityBoundingSet=\nAmbientCapabilities=");
  assert.equal(r.docker, "docker run --cap-drop=ALL IMAGE");
  assert.equal(r.compose, "cap_drop:\n  - ALL");
  assert.equal(r.kubernetes, 'securityContext:\n  capabilities:\n    drop: ["ALL"]');
  assert.match(r.note, /only the code paths this run exercised/);
  // A file that has no file capabilities has none to remove: `setcap -r` would fail.
  const capless = recommend({ agg: [], narrowings: [], alone: new Map(), binary: "/usr/bin/true", rootCapless: true });
  assert.equal(capless.setcap, "# /usr/bin/true needs no capability, and has no file capabilities to remove");
  // Launched through env, which exec'd true: the line names true.
  const viaEnv = recommend({
    agg: [],
    narrowings: [],
    alone: new Map(),
    root: { path: "/usr/bin/env", script: false },
    rootLast: { path: "/usr/bin/true", script: false },
  });
  assert.equal(viaEnv.setcap, "setcap -r /usr/bin/true");
});

Deno.test("recommend writes every format for a capability list", () => {
  const r = recommend({ agg: [agg(0, { ret: -1 }), agg(13)], narrowings: [], alone: new Map(), binary: "/bin/x" });
  assert.equal(r.setcap, "setcap cap_chown,cap_net_raw+ep /bin/x");
  assert.equal(r.systemd, "CapabilityBoundingSet=CAP_CHOWN CAP_NET_RAW\nAmbientCapabilities=CAP_CHOWN CAP_NET_RAW");
  assert.equal(r.docker, "docker run --cap-drop=ALL --cap-add=CHOWN --cap-add=NET_RAW IMAGE");
  assert.equal(r.compose, "cap_drop:\n  - ALL\ncap_add:\n  - CHOWN\n  - NET_RAW");
  assert.equal(
    r.kubernetes,
    'securityContext:\n  capabilities:\n    drop: ["ALL"]\n    add: ["CHOWN", "NET_RAW"]',
  );
});

Deno.test("recommend names no file when the program is not known (system-wide, its process gone)", () => {
  const r = recommend({ agg: [agg(0)], narrowings: [], alone: new Map() });
  assert.equal(
    r.setcap,
    "# programs captrace could not name (gone before it looked, or run before an exec it saw): grant cap_chown " +
      "to each program's file by its full path, or to its service or container (below)",
  );
  assert.deepEqual(r.programs.map((p) => [p.path, p.placed]), [["/path/to/program", false]]);
  // A process whose program was found gets its line; the others' share stays the comment.
  const found = recommend({
    agg: [agg(0, { pid: 5 }), agg(13, { pid: 6 })],
    narrowings: [],
    alone: new Map(),
    programOf: (pid) =>
      pid === 6
        ? { path: "/usr/bin/ping", script: false }
        : { path: "/path/to/program", script: false, unplaced: true },
  });
  assert.equal(
    found.setcap,
    "setcap cap_net_raw+ep /usr/bin/ping\n# programs captrace could not name (gone before it looked, or run before " +
      "an exec it saw): grant cap_chown to each program's file by its full path, or to its service or container " +
      "(below)",
  );
  assert.deepEqual(parseBaseline(found.setcap), ["CAP_NET_RAW", "CAP_CHOWN"], "a baseline of it");
  // Nothing needed: nothing to remove from no file.
  assert.equal(
    recommend({ agg: [], narrowings: [], alone: new Map() }).setcap,
    "# no capability was needed: no program to set",
  );
});

Deno.test("recommend quotes a binary path with spaces or quotes for the shell", () => {
  assert.equal(formats(["CAP_CHOWN"], "/opt/my app/x").setcap, "setcap cap_chown+ep '/opt/my app/x'");
  assert.equal(formats([], "/tmp/it's").setcap, "setcap -r '/tmp/it'\\''s'");
});

Deno.test("recommend names an unknown capability number as CAP_<n>, and gives it by number where it can", () => {
  const r = recommend({ agg: [agg(41), agg(0)], narrowings: [], alone: new Map(), binary: "/usr/bin/x" });
  assert.deepEqual(r.capabilities, ["CAP_CHOWN", "CAP_41"]);
  // setcap (cap_from_text) and systemd take a number; docker, compose and Kubernetes only names.
  assert.equal(r.setcap, "setcap cap_chown,41+ep /usr/bin/x");
  assert.equal(r.systemd, "CapabilityBoundingSet=CAP_CHOWN 41\nAmbientCapabilities=CAP_CHOWN 41");
  assert.equal(r.docker, "docker run --cap-drop=ALL --cap-add=CHOWN IMAGE");
  assert.equal(r.compose, "cap_drop:\n  - ALL\ncap_add:\n  - CHOWN");
  assert.ok(r.kubernetes.endsWith('add: ["CHOWN"]'), r.kubernetes);
  assert.match(r.note, / CAP_41 is a capability this version of captrace has no name for: setcap and systemd take /);
});

Deno.test("recommend narrowing replaces CAP_SYS_ADMIN when it was only a fallback", () => {
  const r = recommend({
    agg: [agg(38, { ret: -1, sys: 298 }), agg(21, { sys: 298, count: 2 }), agg(39, { ret: -1, sys: 321 })],
    narrowings: [{ cap: 38, count: 2, insteadOf: 21 }, { cap: 39, count: 1, insteadOf: 21 }],
    alone: new Map(),
  });
  assert.deepEqual(r.capabilities, ["CAP_PERFMON", "CAP_BPF"]);
  assert.deepEqual(r.narrowed, [
    {
      cap: "CAP_PERFMON",
      instead_of: "CAP_SYS_ADMIN",
      reason: "the kernel checked CAP_PERFMON first and fell back to CAP_SYS_ADMIN (2×)",
      fallback_only: true,
    },
    {
      cap: "CAP_BPF",
      instead_of: "CAP_SYS_ADMIN",
      reason: "the kernel checked CAP_BPF first and fell back to CAP_SYS_ADMIN (1×)",
      fallback_only: true,
    },
  ]);
});

Deno.test("recommend says a narrowed capability also checked on its own is not a fallback only", () => {
  // CAP_FOWNER refused twice: once before CAP_DAC_OVERRIDE (a touch), once on its own (a chmod).
  const r = recommend({
    agg: [agg(3, { ret: -1, sys: 280, count: 2 }), agg(1, { ret: -1, sys: 280 })],
    narrowings: [{ cap: 3, count: 1, insteadOf: 1 }],
    alone: new Map(),
  });
  assert.deepEqual(r.capabilities, ["CAP_FOWNER"]);
  assert.deepEqual(r.narrowed.map((n) => [n.cap, n.instead_of, n.fallback_only]), [
    ["CAP_FOWNER", "CAP_DAC_OVERRIDE", false],
  ]);
  // The counts lack checks: it cannot be said.
  const incomplete = recommend({
    agg: [agg(38, { ret: -1 }), agg(21, {})],
    narrowings: [{ cap: 38, count: 1, insteadOf: 21 }],
    alone: new Map(),
    countsIncomplete: true,
  });
  assert.equal(incomplete.narrowed[0]?.fallback_only, false);
});

Deno.test("recommend keeps CAP_SYS_ADMIN when it was also checked on its own, and then it covers the narrow one", () => {
  const r = recommend({
    agg: [agg(38, { ret: -1 }), agg(21, { count: 2 })],
    narrowings: [{ cap: 38, count: 1, insteadOf: 21 }],
    alone: new Map([[21, 1]]),
  });
  assert.deepEqual(r.capabilities, ["CAP_SYS_ADMIN"]);
  assert.deepEqual(r.narrowed, []);
  // Unless the kernel's map was full: a check of the narrow one outside a fallback may be among those missing.
  const full = recommend({
    agg: [agg(38, { ret: -1 }), agg(21, { count: 2 })],
    narrowings: [{ cap: 38, count: 1, insteadOf: 21 }],
    alone: new Map([[21, 1]]),
    countsIncomplete: true,
  });
  assert.deepEqual(full.capabilities, ["CAP_SYS_ADMIN", "CAP_PERFMON"]);
  // Narrowing by the counts, a broad capability is not dropped as only a fallback when the counts lack checks.
  const byCounts = (countsIncomplete: boolean) =>
    recommend({
      agg: [agg(38, { ret: -1 }), agg(21, { ret: -1, fallbackFor: 38 })],
      narrowings: [],
      alone: new Map(),
      narrowFromCounts: true,
      countsIncomplete,
    }).capabilities;
  assert.deepEqual(byCounts(false), ["CAP_PERFMON"]);
  assert.deepEqual(byCounts(true), ["CAP_SYS_ADMIN", "CAP_PERFMON"]);
  // A narrow capability also checked outside a fallback (allowed here, with no fallback after it) stays.
  const also = recommend({
    agg: [agg(38, { ret: -1 }), agg(38), agg(21, { count: 2 })],
    narrowings: [{ cap: 38, count: 1, insteadOf: 21 }],
    alone: new Map([[21, 1]]),
  });
  assert.deepEqual(also.capabilities, ["CAP_SYS_ADMIN", "CAP_PERFMON"]);
  assert.equal(also.narrowed.length, 1);
});

Deno.test("recommend keeps CAP_SYS_ADMIN when nothing was narrowed", () => {
  const r = recommend({ agg: [agg(21)], narrowings: [], alone: new Map([[21, 1]]) });
  assert.deepEqual(r.capabilities, ["CAP_SYS_ADMIN"]);
});

Deno.test("recommend adds a narrowed capability the counts lack when they lack checks, else not", () => {
  const input = { agg: [agg(21)], narrowings: [{ cap: 40, count: 1, insteadOf: 21 }], alone: new Map() };
  assert.deepEqual(recommend({ ...input, countsIncomplete: true }).capabilities, ["CAP_CHECKPOINT_RESTORE"]);
  // Complete, the counts leave out what the stream cannot tell: a narrow check refused in another user namespace
  // against the initial one (`unshare -Ur perf ...`'s CAP_PERFMON), which no capability passes.
  assert.deepEqual(recommend(input).capabilities, ["CAP_SYS_ADMIN"]);
});

Deno.test("recommend takes a broad capability the stream saw on its own only if the counts did too", () => {
  // The stream saw CAP_SYS_ADMIN allowed on its own (unshare -Un's, against the user namespace the process owns),
  // which the kernel's counts leave out; the counts have it only as CAP_PERFMON's fallback.
  const r = recommend({
    agg: [agg(38, { ret: -1 }), agg(21, { ret: -1, fallbackFor: 38 }), agg(21, { initialNs: false })],
    narrowings: [{ cap: 38, count: 1, insteadOf: 21 }],
    alone: new Map([[21, 1]]),
  });
  assert.deepEqual(r.capabilities, ["CAP_PERFMON"]);
});

Deno.test("recommend leaves out checks allowed in another user namespace, and keeps those refused there", () => {
  const r = recommend({
    agg: [agg(21, { initialNs: false, count: 3 }), agg(12, { initialNs: false, ret: -1 }), agg(0)],
    narrowings: [],
    alone: new Map(),
  });
  assert.deepEqual(r.capabilities, ["CAP_CHOWN", "CAP_NET_ADMIN"]);
  assert.ok(
    r.note.endsWith(
      " So are 3 checks allowed to processes in a user namespace other than the initial one, or to the owner of the" +
        " one checked against: they need no capability outside it.",
    ),
    r.note,
  );
  const initial = recommend({ agg: [agg(21), agg(0)], narrowings: [], alone: new Map() });
  assert.deepEqual(initial.capabilities, ["CAP_CHOWN", "CAP_SYS_ADMIN"]);
  assert.ok(!initial.note.includes("namespace"), initial.note);
});

Deno.test("recommend leaves out checks refused in another user namespace against the initial one, and says so", () => {
  // nice(-1) in `unshare -Ur`: setpriority asks for CAP_SYS_NICE in the initial namespace, which a process of
  // another cannot hold, whatever its file or its container is granted.
  const r = recommend({
    agg: [agg(23, { initialNs: false, againstInitial: true, ret: -1, count: 2 }), agg(0, { ret: -1 })],
    narrowings: [],
    alone: new Map(),
  });
  assert.deepEqual(r.capabilities, ["CAP_CHOWN"]);
  assert.ok(
    r.note.endsWith(
      " 2 checks (CAP_SYS_NICE) were refused to processes in a user namespace other than the initial one, against the" +
        " initial one: no capability granted passes that, so none is recommended for them; such a program has to run" +
        " outside its user namespace.",
    ),
    r.note,
  );
});

Deno.test("recommend gives CAP_DAC_READ_SEARCH alone for reads, and keeps CAP_DAC_OVERRIDE a write needed", () => {
  const reads = recommend({
    agg: [agg(2, { ret: -1 }), agg(1, { ret: -1 })],
    narrowings: [{ cap: 2, count: 1, insteadOf: 1 }],
    alone: new Map(),
  });
  assert.deepEqual(reads.capabilities, ["CAP_DAC_READ_SEARCH"]);
  assert.deepEqual(reads.narrowed.map((n) => [n.cap, n.instead_of]), [["CAP_DAC_READ_SEARCH", "CAP_DAC_OVERRIDE"]]);
  const write = recommend({
    agg: [agg(2, { ret: -1 }), agg(1, { ret: -1, count: 2 })],
    narrowings: [{ cap: 2, count: 1, insteadOf: 1 }],
    alone: new Map([[1, 1]]),
  });
  // CAP_DAC_OVERRIDE, needed for the write, lets the read through too.
  assert.deepEqual(write.capabilities, ["CAP_DAC_OVERRIDE"]);
  assert.deepEqual(write.narrowed, []);
});

Deno.test("recommend leaves out CAP_DAC_READ_SEARCH allowed for reads where CAP_DAC_OVERRIDE is needed on its own", () => {
  // A second run, with CAP_DAC_READ_SEARCH granted after the first: the read is allowed by it (openat), and the write
  // refused CAP_DAC_OVERRIDE, which would allow the read as well.
  const input = {
    agg: [agg(2, { sys: 257 }), agg(1, { ret: -1, sys: 257 })],
    narrowings: [],
    alone: new Map([[1, 1]]),
    binary: "/usr/bin/dd",
  };
  const r = recommend(input);
  assert.deepEqual(r.capabilities, ["CAP_DAC_OVERRIDE"]);
  assert.equal(r.setcap, "setcap cap_dac_override+ep /usr/bin/dd");
  assert.match(r.note, /CAP_DAC_READ_SEARCH, allowed for reads, is left out: CAP_DAC_OVERRIDE, needed on its own/);
  // Asked for on its own (open_by_handle_at), in a call not known, or with counts that lack checks: kept.
  for (
    const other of [
      { ...input, agg: [...input.agg, agg(2, { sys: 304 })] },
      // btrfs's INO_PATHS ioctl asks for it on its own too.
      { ...input, agg: [...input.agg, agg(2, { sys: 16 })] },
      { ...input, agg: [...input.agg, agg(2, { sys: -1 })] },
      { ...input, countsIncomplete: true },
    ]
  ) {
    const kept = recommend(other);
    assert.deepEqual(kept.capabilities, ["CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH"]);
    assert.doesNotMatch(kept.note, /CAP_DAC_READ_SEARCH/);
  }
  // CAP_DAC_OVERRIDE only a fallback of reads: the narrow one is what is needed.
  const reads = recommend({ ...input, alone: new Map() });
  assert.doesNotMatch(reads.note, /CAP_DAC_READ_SEARCH/);
});

Deno.test("recommend leaves out CAP_FSETID of a chmod, which succeeds without it, says so, and keeps it elsewhere", () => {
  // chmod, fchmod and fchmodat ask for it of every caller outside the file's group, allowed or refused.
  const chmods = [agg(4, { ret: -1, sys: 90 }), agg(4, { ret: -1, sys: 91 }), agg(4, { sys: 268, count: 2 })];
  const r = recommend({ agg: [...chmods, agg(0, { ret: -1 })], narrowings: [], alone: new Map() });
  assert.deepEqual(r.capabilities, ["CAP_CHOWN"]);
  assert.match(r.note, /CAP_FSETID, asked of every chmod by a user outside the file's group \(4×\), is left out/);
  // A write that clears a setuid file's bits (write, 1) asks for it only of such files: kept.
  const write = recommend({ agg: [...chmods, agg(4, { ret: -1, sys: 1 })], narrowings: [], alone: new Map() });
  assert.deepEqual(write.capabilities, ["CAP_FSETID"]);
  assert.doesNotMatch(write.note, /CAP_FSETID/, "not said to be left out");
  // Not known as a chmod on another architecture: kept.
  const other = recommend({ agg: chmods, narrowings: [], alone: new Map(), arch: "aarch64" });
  assert.deepEqual(other.capabilities, ["CAP_FSETID"]);
  assert.doesNotMatch(other.note, /CAP_FSETID/);
});

Deno.test("recommend leaves out setuid(0) and setgid(0) refused to a process with no root id, and names them", () => {
  // mount as nobody checks that setuid(0) fails (marked by the kernel: AggEntry.regain), and stops if it does not.
  const regain = (cap: number, sys: number, count = 1) => agg(cap, { ret: -1, sys, opts: 4, regain: true, count });
  const r = recommend({
    agg: [regain(7, 105, 2), agg(1, { ret: -1, sys: 21 }), agg(21, { ret: -1, sys: 165 })],
    narrowings: [],
    alone: new Map(),
  });
  assert.deepEqual(r.capabilities, ["CAP_DAC_OVERRIDE", "CAP_SYS_ADMIN"]);
  assert.match(
    r.note,
    / CAP_SETUID \(setuid\(0\), 2×\), refused to a process with no root id, is left out: that is how a program checks that it cannot get root's ids \(util-linux's mount does\), and it stops if it can; grant it only to a program meant to become root\.$/,
  );
  const both = recommend({ agg: [regain(6, 106), regain(7, 105)], narrowings: [], alone: new Map() });
  assert.deepEqual(both.capabilities, []);
  assert.match(
    both.note,
    / CAP_SETGID \(setgid\(0\), 1×\) and CAP_SETUID \(setuid\(0\), 1×\), refused .* are left out: /,
  );
  // Any other refused setgid (to another user's group): needed, and then its setgid(0) is not said to be left out.
  const other = recommend({
    agg: [agg(6, { ret: -1, sys: 106, opts: 4 }), regain(6, 106)],
    narrowings: [],
    alone: new Map(),
  });
  assert.deepEqual(other.capabilities, ["CAP_SETGID"]);
  assert.doesNotMatch(other.note, /setgid\(0\)/);
});

Deno.test("recommend's note names capabilities only refused, to processes that exited 0 all the same", () => {
  const cp = { path: "/usr/bin/cp", script: false };
  const chown = { path: "/usr/bin/chown", script: false };
  const programOf = (pid: number) => pid === 2 ? cp : chown;
  // cp -p (pid 2) refused CAP_CHOWN for a file's owner, and exited 0.
  const exits = new Map<number, number | null>([[2, 0], [3, 1], [4, null]]);
  const input = { agg: [agg(0, { pid: 2, ret: -1 })], narrowings: [], alone: new Map(), programOf };
  const r = recommend({ ...input, exitOf: (pid) => exits.get(pid) });
  assert.deepEqual(r.capabilities, ["CAP_CHOWN"]);
  assert.match(
    r.note,
    / CAP_CHOWN was only refused, to processes that exited 0 all the same \(cp\): the program may do without it, or did less without; see whether that is enough\. /,
  );
  // Not when a process that was refused it failed (chown), was killed, or was not seen to end; nor when it was allowed.
  for (const other of [agg(0, { pid: 3, ret: -1 }), agg(0, { pid: 4, ret: -1 }), agg(0, { pid: 5, ret: -1 }), agg(0)]) {
    const note = recommend({ ...input, agg: [...input.agg, other], exitOf: (pid) => exits.get(pid) }).note;
    assert.doesNotMatch(note, /only refused/, JSON.stringify(other));
  }
  // Nor without exit statuses (a caller that has none).
  assert.doesNotMatch(recommend(input).note, /only refused/);
  // Three are listed as a sentence lists them.
  const three = [agg(0, { pid: 2, ret: -1 }), agg(5, { pid: 2, ret: -1 }), agg(13, { pid: 2, ret: -1 })];
  assert.match(
    recommend({ ...input, agg: three, exitOf: (pid) => exits.get(pid) }).note,
    / CAP_CHOWN, CAP_KILL and CAP_NET_RAW were only refused, /,
  );
});

Deno.test("recommend gives one setcap line per program, the root program first", () => {
  const programs = new Map([
    [2, { path: "/usr/bin/ping", script: false }],
    [3, { path: "/usr/bin/chown", script: false }],
  ]);
  const root = { path: "/usr/bin/make", script: false };
  const r = recommend({
    agg: [
      agg(13, { pid: 2 }),
      agg(0, { pid: 3, ret: -1 }),
      agg(12, { pid: 2 }),
      agg(7, { pid: 1 }),
      agg(13, { pid: 3 }),
    ],
    narrowings: [],
    alone: new Map(),
    binary: root.path,
    programOf: (pid) => programs.get(pid) ?? root,
  });
  assert.deepEqual(r.capabilities, ["CAP_CHOWN", "CAP_SETUID", "CAP_NET_ADMIN", "CAP_NET_RAW"]);
  assert.equal(
    r.setcap,
    [
      "setcap cap_setuid+ep /usr/bin/make",
      "setcap cap_chown,cap_net_raw+ep /usr/bin/chown",
      "setcap cap_net_admin,cap_net_raw+ep /usr/bin/ping",
    ].join("\n"),
  );
  assert.deepEqual(r.programs.map((p) => [p.path, p.capabilities]), [
    ["/usr/bin/make", ["CAP_SETUID"]],
    ["/usr/bin/chown", ["CAP_CHOWN", "CAP_NET_RAW"]],
    ["/usr/bin/ping", ["CAP_NET_ADMIN", "CAP_NET_RAW"]],
  ]);
  // The other forms grant the whole set, to the service or container that runs them all.
  assert.equal(
    r.docker,
    "docker run --cap-drop=ALL --cap-add=CHOWN --cap-add=SETUID --cap-add=NET_ADMIN --cap-add=NET_RAW IMAGE",
  );
});

Deno.test("recommend comments out setcap for a script, and names its capabilities", () => {
  const script = { path: "/opt/my tool/run.sh", script: true };
  const r = recommend({
    agg: [agg(24, { pid: 5 }), agg(0, { pid: 6, ret: -1 })],
    narrowings: [],
    alone: new Map(),
    binary: script.path,
    programOf: (pid) => pid === 6 ? { path: "/usr/bin/chown", script: false } : script,
  });
  assert.equal(
    r.setcap,
    "# '/opt/my tool/run.sh' is a script: the kernel ignores file capabilities on scripts; grant cap_sys_resource " +
      "to its service or container instead (below)\nsetcap cap_chown+ep /usr/bin/chown",
  );
  assert.deepEqual(parseBaseline(r.setcap), ["CAP_SYS_RESOURCE", "CAP_CHOWN"], "a baseline of it");
  assert.deepEqual(r.programs[0], {
    path: "/opt/my tool/run.sh",
    placed: true,
    mount_ns: null,
    script: true,
    interpreter: false,
    capabilities: ["CAP_SYS_RESOURCE"],
  });
});

Deno.test("recommend comments out setcap for an interpreter, which would pass it to every script", () => {
  const r = recommend({
    agg: [agg(13, { pid: 5 })],
    narrowings: [],
    alone: new Map(),
    binary: "/usr/bin/python3.11",
  });
  assert.equal(
    r.setcap,
    "# /usr/bin/python3.11 is an interpreter: setcap on it would grant cap_net_raw to every script it runs; grant " +
      "cap_net_raw to its service or container instead (below), or to a copy of it kept for this program alone",
  );
  assert.deepEqual(r.programs, [
    {
      path: "/usr/bin/python3.11",
      placed: true,
      mount_ns: null,
      script: false,
      interpreter: true,
      capabilities: ["CAP_NET_RAW"],
    },
  ]);
});

Deno.test("recommend removes no file capabilities from a file that is not the program's alone, when none is needed", () => {
  const none = (root: { path: string; script: boolean; unplaced?: true; mountNs?: number }) =>
    recommend({ agg: [], narrowings: [], alone: new Map(), root }).setcap;
  assert.equal(none({ path: "/usr/bin/true", script: false }), "setcap -r /usr/bin/true");
  // Another script an interpreter runs, another command busybox provides, may need the capabilities its file has.
  assert.equal(
    none({ path: "/usr/bin/python3.11", script: false }),
    "# /usr/bin/python3.11 is an interpreter: this run needed no capability, but other scripts it runs may; " +
      "leave its file capabilities as they are",
  );
  assert.equal(
    none({ path: "/usr/bin/dash", script: false, mountNs: 4026532301 }),
    "# /usr/bin/dash (in mount namespace mnt:[4026532301]) is an interpreter: this run needed no capability, but " +
      "other scripts it runs may; leave its file capabilities as they are",
  );
  assert.equal(
    none({ path: "/bin/busybox", script: false }),
    "# /bin/busybox is a multi-call binary: this run needed no capability, but other commands it provides may; " +
      "leave its file capabilities as they are",
  );
  // setcap on a script has no effect; a name as it was run may be another file where the line is pasted.
  assert.equal(
    none({ path: "/root/.pyenv/shims/python3", script: true }),
    "# /root/.pyenv/shims/python3 is a script: it needs no capability, and the kernel ignores file capabilities on " +
      "scripts",
  );
  assert.equal(
    none({ path: "tools/run", script: false }),
    "# tools/run (as it was run; captrace could not find the file) needs no capability",
  );
  assert.equal(
    none({ path: "/opt/x", script: false, unplaced: true }),
    "# /opt/x (as it was run; captrace could not find the file) needs no capability",
  );
  // A name with bytes that are not UTF-8, as those bytes, which the shell reads back.
  assert.equal(
    none({ path: "/opt/\udcffx\u0085", script: false, unplaced: true }),
    "# $'/opt/\\xffx\\xc2\\x85' (as it was run; captrace could not find the file) needs no capability",
  );
});

Deno.test("recommend comments out the setcap line of a program file deleted before the trace ended", () => {
  const built = { path: "/tmp/go-build1/b001/exe/server", script: false };
  const kept = { path: "/usr/local/bin/helper", script: false };
  const gone = (path: string) => path.startsWith("/tmp/go-build1/");
  const r = recommend({
    agg: [agg(10, { pid: 1 }), agg(13, { pid: 2 })],
    narrowings: [],
    alone: new Map(),
    root: built,
    programOf: (pid) => pid === 1 ? built : kept,
    gone,
  });
  assert.equal(
    r.setcap,
    "# /tmp/go-build1/b001/exe/server (deleted before the trace ended, as a temporary build is): grant " +
      "cap_net_bind_service to the program's file where it is kept, or to its service or container (below)\n" +
      "setcap cap_net_raw+ep /usr/local/bin/helper",
  );
  assert.deepEqual(r.programs.map((p) => [p.path, p.placed, p.deleted]), [
    [built.path, true, true],
    [kept.path, true, undefined],
  ]);
  const none = recommend({ agg: [], narrowings: [], alone: new Map(), root: built, gone }).setcap;
  assert.equal(none, "# /tmp/go-build1/b001/exe/server (deleted before the trace ended) needs no capability");
  // Not asked: every file is taken to be there.
  const unasked = recommend({ agg: [agg(10)], narrowings: [], alone: new Map(), root: built }).setcap;
  assert.equal(unasked, "setcap cap_net_bind_service+ep /tmp/go-build1/b001/exe/server");
  // A deleted script is still a script: file capabilities would do nothing on it, deleted or not.
  const script = { path: "/tmp/ansible-1/mod.py", script: true };
  const scripted = recommend({ agg: [agg(13)], narrowings: [], alone: new Map(), root: script, gone: () => true });
  assert.equal(
    scripted.setcap,
    "# /tmp/ansible-1/mod.py is a script: the kernel ignores file capabilities on scripts; grant cap_net_raw to its " +
      "service or container instead (below)",
  );
});

Deno.test("recommend leaves capabilities outside the bounding set out of setcap lines, and says why", () => {
  const rlim = { path: "/opt/rlim", script: false };
  const ping = { path: "/opt/ping", script: false };
  const full = Array.from({ length: 41 }, (_, c) => c);
  const bounding = full.filter((c) => c !== 24); // no CAP_SYS_RESOURCE, as in a container
  const base = { narrowings: [], alone: new Map(), root: rlim };
  const input = {
    ...base,
    agg: [agg(24, { pid: 1, ret: -1 }), agg(6, { pid: 1 }), agg(24, { pid: 2, ret: -1 }), agg(13, { pid: 3 })],
    programOf: (pid: number) => pid === 1 ? rlim : pid === 2 ? ping : { path: "/opt/other", script: false },
  };
  const outside = "outside the bounding set here: no file capability grants it, and in a setcap line it would keep " +
    "the program from running; add it to the line where the bounding set has it";
  const leftOut =
    / CAP_SYS_RESOURCE is outside the bounding set of the traced processes \(a container's or a service's, or one cut down at boot or by a wrapper such as setpriv\): nothing grants it where that set holds, and a file whose setcap line holds it fails to execute there \(EPERM\), so this system's setcap lines leave it out; lines to run in a container, and the service and container forms, need it in the bounding set where they run\./;
  const r = recommend({ ...input, bounding });
  assert.deepEqual(r.capabilities, ["CAP_SETGID", "CAP_NET_RAW", "CAP_SYS_RESOURCE"]);
  assert.equal(
    r.setcap,
    [
      "setcap cap_setgid+ep /opt/rlim",
      `# /opt/rlim also asked for cap_sys_resource, ${outside}`,
      "setcap cap_net_raw+ep /opt/other",
      `# /opt/ping asked for cap_sys_resource, ${outside}`,
    ].join("\n"),
  );
  assert.match(r.note, leftOut);
  assert.doesNotMatch(r.note, /bounding set read/);
  // The other forms still name it: they are for where the program will run.
  assert.match(r.systemd, /CAP_SYS_RESOURCE/);
  // With every capability in the bounding set, or none known, nothing changes.
  for (const b of [full, undefined]) {
    const plain = recommend(b === undefined ? input : { ...input, bounding: b });
    assert.match(plain.setcap, /^setcap cap_setgid,cap_sys_resource\+ep \/opt\/rlim$/m);
    assert.doesNotMatch(plain.note, /bounding set/);
  }
  // Allowed to a program's processes, it was to be had there (a daemon that cut its own set after it started): that
  // program's line keeps it, and the note says why; another program's, refused it, does not.
  const allowed = recommend({ ...input, agg: [...input.agg, agg(24, { pid: 1 })], bounding });
  assert.match(allowed.setcap, /^setcap cap_setgid,cap_sys_resource\+ep \/opt\/rlim$/m);
  assert.match(allowed.setcap, new RegExp(`^# /opt/ping asked for cap_sys_resource, ${outside.slice(0, 30)}`, "m"));
  assert.match(
    allowed.note,
    / CAP_SYS_RESOURCE is outside the bounding set read, yet was allowed to the processes of \/opt\/rlim, whose line keeps it: a set cut down after a program started \(as some daemons do\) is not the one its file is executed with; where it is, such a line fails\./,
  );
  // Allowed in another user namespace only, where the kernel gives every capability, it proves nothing here.
  const userns = recommend({ ...input, agg: [...input.agg, agg(24, { pid: 1, initialNs: false })], bounding });
  assert.equal(userns.setcap, r.setcap);
  // A file of another mount namespace is set there, in its image: its line keeps it, and the note says the container
  // needs it in its bounding set.
  const inContainer = { path: "/app/rlim", script: false, mountNs: 4026532301 };
  const container = recommend({ ...base, agg: [agg(24, { ret: -1 })], root: inContainer, bounding });
  assert.match(container.setcap, /run there: setcap cap_sys_resource\+ep \/app\/rlim$/);
  assert.match(container.note, leftOut);
  // So do a program's comments that say to grant it (not found, deleted).
  for (const root of [{ path: "tools/x", script: false }, { path: "/tmp/gone/x", script: false }]) {
    const said = recommend({ ...base, agg: [agg(24, { ret: -1 })], root, bounding, gone: () => true });
    assert.match(said.setcap, /^# .*grant cap_sys_resource /);
    assert.match(said.note, leftOut);
  }
  // A capability this version has no name for, by its number.
  const unnamed = recommend({ ...base, agg: [agg(41, { ret: -1 })], bounding });
  assert.equal(unnamed.setcap, `# /opt/rlim asked for 41, ${outside}`);
  assert.equal(recommend({ ...base, agg: [agg(41, { ret: -1 })], bounding: [41] }).setcap, "setcap 41+ep /opt/rlim");
  // A system tool whose line grants nothing says nothing of every user getting its capabilities; one whose line grants
  // some of them does.
  const tool = { path: "/usr/bin/prlimit", script: false };
  const tools = recommend({ ...base, agg: [agg(24, { ret: -1 })], root: tool, bounding });
  assert.doesNotMatch(tools.note, /system tool/);
  const some = recommend({ ...base, agg: [agg(24, { ret: -1 }), agg(13)], root: tool, bounding });
  assert.match(some.note, / \/usr\/bin\/prlimit is a system tool: /);
});

Deno.test("recommend comments out the setcap line of a set-user-ID-root program that ran as root", () => {
  const mount = { path: "/usr/bin/mount", script: false };
  const ping = { path: "/usr/bin/ping", script: false };
  const setuidRoot = (path: string) => path === mount.path;
  const r = recommend({
    agg: [agg(21, { pid: 1 }), agg(6, { pid: 1 }), agg(13, { pid: 2 })],
    narrowings: [],
    alone: new Map(),
    root: mount,
    programOf: (pid) => pid === 1 ? mount : ping,
    setuidRoot,
  });
  assert.equal(
    r.setcap,
    "# /usr/bin/mount is set-user-ID root: it ran as root, so what it needs without the bit (cap_setgid,cap_sys_admin " +
      "as root) is not seen; trace a copy without the bit (cp, then chmod u-s) for its setcap line\n" +
      "setcap cap_net_raw+ep /usr/bin/ping",
  );
  // Given no setcap line, it is no system tool whose capabilities every user would get; ping's line is.
  assert.doesNotMatch(r.note, /\/usr\/bin\/mount is a system tool/);
  assert.match(r.note, / \/usr\/bin\/ping is a system tool: /);
  // Nothing needed: no `setcap -r` either, which would take away nothing the bit does not give.
  const none = recommend({ agg: [], narrowings: [], alone: new Map(), root: mount, setuidRoot }).setcap;
  assert.equal(
    none,
    "# /usr/bin/mount is set-user-ID root: it ran as root, so what it needs without the bit is not seen; trace a " +
      "copy without the bit (cp, then chmod u-s) for its setcap line",
  );
});

Deno.test("recommend names a container's file with its mount namespace, apart from the host's file of that path", () => {
  const host = { path: "/usr/bin/ping", script: false };
  const inContainer = { path: "/usr/bin/ping", script: false, mountNs: 4026532301 };
  const python = { path: "/usr/bin/python3", script: false, mountNs: 4026532301 };
  const r = recommend({
    agg: [agg(13, { pid: 1 }), agg(12, { pid: 2 }), agg(0, { pid: 3 }), agg(7, { pid: 4 })],
    narrowings: [],
    alone: new Map(),
    binary: host.path,
    programOf: (pid) =>
      pid === 2 ? inContainer : pid === 3 ? python : pid === 4 ? { path: "tools/run", script: false } : host,
  });
  assert.equal(
    r.setcap,
    "setcap cap_net_raw+ep /usr/bin/ping\n" +
      "# tools/run (as it was run; captrace could not find the file): grant cap_setuid to that file by its full path, " +
      "or to its service or container (below)\n" +
      "# in mount namespace mnt:[4026532301] (a container's files, not this system's), run there: " +
      "setcap cap_net_admin+ep /usr/bin/ping\n" +
      "# /usr/bin/python3 (in mount namespace mnt:[4026532301]) is an interpreter: setcap on it would grant cap_chown " +
      "to every script it runs; grant cap_chown to its service or container instead (below), or to a copy of it kept " +
      "for this program alone",
  );
  // The section, comments and all, is a baseline of every capability it names.
  assert.deepEqual(parseBaseline(r.setcap).sort(), [...new Set(r.programs.flatMap((p) => p.capabilities))].sort());
  // Nothing needed: not a line to run on the host, where the path may name another file.
  assert.equal(
    recommend({ agg: [], narrowings: [], alone: new Map(), root: inContainer }).setcap,
    "# in mount namespace mnt:[4026532301] (a container's files, not this system's), run there: " +
      "setcap -r /usr/bin/ping",
  );
  // The host's files first, then each namespace's.
  assert.deepEqual(r.programs.map((p) => [p.path, p.mount_ns, p.capabilities]), [
    ["/usr/bin/ping", null, ["CAP_NET_RAW"]],
    ["tools/run", null, ["CAP_SETUID"]],
    ["/usr/bin/ping", 4026532301, ["CAP_NET_ADMIN"]],
    ["/usr/bin/python3", 4026532301, ["CAP_CHOWN"]],
  ]);
});

Deno.test("recommend keeps a chroot's unplaced program apart from this system's file of its path", () => {
  const host = { path: "/usr/bin/prog", script: false };
  const inChroot = { path: "/usr/bin/prog", script: false, unplaced: true as const };
  const r = recommend({
    agg: [agg(0, { pid: 1 }), agg(23, { pid: 2 })],
    narrowings: [],
    alone: new Map(),
    binary: host.path,
    programOf: (pid) => pid === 2 ? inChroot : host,
  });
  assert.equal(
    r.setcap,
    "setcap cap_chown+ep /usr/bin/prog\n# /usr/bin/prog (as it was run; captrace could not find the file): grant " +
      "cap_sys_nice to that file by its full path, or to its service or container (below)",
  );
  assert.deepEqual(r.programs.map((p) => [p.path, p.placed, p.capabilities]), [
    ["/usr/bin/prog", true, ["CAP_CHOWN"]],
    ["/usr/bin/prog", false, ["CAP_SYS_NICE"]],
  ]);
});

Deno.test("recommend drops a broad capability from each program when it only stood in for a narrow one", () => {
  const root = { path: "/usr/bin/perf", script: false };
  const r = recommend({
    // perf made a denied CAP_PERFMON check and CAP_SYS_ADMIN fell back for it; nothing else asked for CAP_SYS_ADMIN.
    agg: [agg(38, { pid: 1, ret: -1 }), agg(21, { pid: 1, ret: -1 }), agg(13, { pid: 2 })],
    narrowings: [{ cap: 38, insteadOf: 21, count: 1 }],
    alone: new Map(),
    binary: root.path,
    programOf: (pid) => pid === 2 ? { path: "/usr/bin/ping", script: false } : root,
  });
  assert.equal(r.setcap, "setcap cap_perfmon+ep /usr/bin/perf\nsetcap cap_net_raw+ep /usr/bin/ping");
});

Deno.test("recommend gives the root program a narrow capability no program's check asked for", () => {
  const root = { path: "/usr/bin/make", script: false };
  const r = recommend({
    agg: [agg(13, { pid: 2 })],
    narrowings: [{ cap: 38, insteadOf: 21, count: 1 }],
    alone: new Map(),
    binary: root.path,
    programOf: (pid) => pid === 2 ? { path: "/usr/bin/ping", script: false } : root,
    // The narrowing's checks are not among the counts: the map was full.
    countsIncomplete: true,
  });
  assert.equal(r.setcap, "setcap cap_perfmon+ep /usr/bin/make\nsetcap cap_net_raw+ep /usr/bin/ping");
});

Deno.test("recommend removes capabilities from the root program's file when nothing is needed", () => {
  const r = recommend({
    agg: [agg(13, { pid: 2, opts: 2 })],
    narrowings: [],
    alone: new Map(),
    binary: "/usr/bin/make",
    programOf: () => ({ path: "/usr/bin/ping", script: false }),
  });
  assert.equal(r.setcap, "setcap -r /usr/bin/make");
  assert.deepEqual(r.programs, []);
});

Deno.test("recommend charges checks to the program that made them, before and after an exec", () => {
  const script = { path: "/opt/run.sh", script: true };
  const chown = { path: "/usr/bin/chown", script: false };
  const usage = new ProgramUsage();
  usage.check(7, 24); // ulimit in the script, then `exec chown`
  usage.exec(7, script);
  usage.check(7, 0);
  const r = recommend({
    // The kernel's counts are by pid: both checks are pid 7's.
    agg: [agg(24, { pid: 7, ret: -1 }), agg(0, { pid: 7, ret: -1 }), agg(13, { pid: 8 })],
    narrowings: [],
    alone: new Map(),
    binary: script.path,
    programOf: (pid) => pid === 8 ? { path: "/usr/bin/ping", script: false } : chown,
    usage,
  });
  assert.deepEqual(r.programs.map((p) => [p.path, p.capabilities]), [
    ["/opt/run.sh", ["CAP_SYS_RESOURCE"]],
    ["/usr/bin/chown", ["CAP_CHOWN"]],
    // Not in the stream (lost, or --summary-only): charged by pid.
    ["/usr/bin/ping", ["CAP_NET_RAW"]],
  ]);
});

Deno.test("recommend takes what the stream showed when the kernel's counts lack checks (its map was full)", () => {
  const nice = { path: "/usr/bin/nice", script: false };
  const chown = { path: "/usr/bin/chown", script: false };
  const sh = { path: "/bin/sh", script: false };
  const usage = new ProgramUsage();
  usage.check(7, 0); // chown, counted in the map
  usage.exited(7, chown);
  usage.check(8, 23); // nice, exited, not counted: the map was full
  usage.exited(8, nice);
  usage.check(9, 21); // a daemon the shell started, still running, not counted
  const daemon = { path: "/usr/sbin/daemond", script: false };
  const input = {
    agg: [agg(0, { pid: 7, ret: -1 })],
    narrowings: [],
    alone: new Map(),
    root: sh,
    // As system-wide with --unique: a pid's counts may mix checks from before and after its exec, so they are not
    // charged to the program it executed. What the stream saw since that exec is.
    programOf: (pid: number) => pid === 7 ? chown : pid === 8 ? nice : sh,
    programNow: (pid: number) => pid === 9 ? daemon : sh,
    usage,
  };
  const full = recommend({ ...input, countsIncomplete: true });
  assert.deepEqual(full.capabilities, ["CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_SYS_NICE"]);
  assert.deepEqual(full.programs.map((p) => [p.path, p.capabilities]), [
    ["/usr/bin/chown", ["CAP_CHOWN"]],
    ["/usr/bin/nice", ["CAP_SYS_NICE"]],
    ["/usr/sbin/daemond", ["CAP_SYS_ADMIN"]],
  ]);
  // Counts that lack nothing are the recommendation's alone (every check the stream showed is among them).
  assert.deepEqual(recommend(input).capabilities, ["CAP_CHOWN"]);
});

Deno.test("recommend takes the kernel's marks over the stream's charges, which follow the order records are read in", () => {
  const sh = { path: "/usr/bin/dash", script: false };
  const nice = { path: "/usr/bin/nice", script: false };
  const t = { path: "/usr/bin/true", script: false };
  // A busy trace read `exec true` and `exit` of pid 8 from one CPU's buffer before `exec nice` and nice's check
  // from the other's: the stream charged CAP_SYS_NICE to what pid 8 ran before the exec it had read, the shell.
  const usage = new ProgramUsage();
  usage.exec(8, sh, 300);
  usage.exited(8, t, 400);
  usage.late(8, 23, sh);
  const r = recommend({
    agg: [agg(23, { pid: 8, ret: -1, program: 100 })],
    narrowings: [],
    alone: new Map(),
    root: sh,
    programOf: () => t,
    programMarked: (mark) => mark === 100 ? nice : undefined,
    usage,
  });
  assert.deepEqual(r.programs.map((p) => [p.path, p.capabilities]), [["/usr/bin/nice", ["CAP_SYS_NICE"]]]);
});

Deno.test("recommend charges a count marked with its program there, whatever its pid ran before or after", () => {
  const script = { path: "/opt/run.sh", script: true };
  const chown = { path: "/usr/bin/chown", script: false };
  const marks = new Map([[5_000, script], [9_000, chown]]);
  // --summary-only: no check in the stream, only the kernel's counts. pid 8 is a child the script forked.
  const r = recommend({
    agg: [
      agg(24, { pid: 7, ret: -1, program: 5_000 }),
      agg(0, { pid: 7, ret: -1, program: 9_000 }),
      agg(21, { pid: 8, program: 5_000 }),
      agg(13, { pid: 9, program: 1 }), // started before the trace: no exec record, charged by pid
    ],
    narrowings: [],
    alone: new Map(),
    binary: script.path,
    programOf: (pid) => pid === 9 ? { path: "/usr/bin/ping", script: false } : chown,
    programMarked: (mark) => marks.get(mark),
    usage: new ProgramUsage(),
  });
  assert.deepEqual(r.programs.map((p) => [p.path, p.capabilities]), [
    ["/opt/run.sh", ["CAP_SYS_ADMIN", "CAP_SYS_RESOURCE"]],
    ["/usr/bin/chown", ["CAP_CHOWN"]],
    ["/usr/bin/ping", ["CAP_NET_RAW"]],
  ]);
});

Deno.test("recommend narrows by the kernel's counts when the stream did not show every check", () => {
  const cat = { path: "/usr/bin/cat", script: false };
  const touch = { path: "/usr/bin/touch", script: false };
  const marks = new Map([[10, cat], [20, touch]]);
  const input = {
    agg: [
      agg(2, { pid: 7, ret: -1, sys: 257, program: 10 }), // cat: CAP_DAC_READ_SEARCH refused,
      agg(1, { pid: 7, ret: -1, sys: 257, program: 10, fallbackFor: 2 }), // then CAP_DAC_OVERRIDE as its fallback
      agg(1, { pid: 8, ret: -1, sys: 257, program: 20 }), // touch's write: CAP_DAC_OVERRIDE on its own
      agg(38, { pid: 9, ret: -1, sys: 298, program: 20, count: 2 }), // CAP_PERFMON refused, then CAP_SYS_ADMIN
      agg(21, { pid: 9, ret: -1, sys: 298, program: 20, fallbackFor: 38, count: 2 }),
    ],
    // What a stream that showed nothing said: ignored.
    narrowings: [],
    alone: new Map([[21, 1]]),
    binary: cat.path,
    programMarked: (mark: number) => marks.get(mark),
  };
  // The stream, which lost cat's refused CAP_DAC_READ_SEARCH, took its CAP_DAC_OVERRIDE for one on its own.
  const usage = new ProgramUsage();
  usage.role(cat, 1, "alone");
  const r = recommend({ ...input, usage, narrowFromCounts: true });
  // Together they need CAP_DAC_OVERRIDE for touch's write, which lets cat's read through too; cat alone needs only
  // CAP_DAC_READ_SEARCH.
  assert.deepEqual(r.capabilities, ["CAP_DAC_OVERRIDE", "CAP_PERFMON"]);
  assert.deepEqual(r.narrowed.map((n) => [n.cap, n.instead_of, n.reason.endsWith("(2×)")]), [
    ["CAP_PERFMON", "CAP_SYS_ADMIN", true],
  ]);
  assert.deepEqual(r.programs.map((p) => [p.path, p.capabilities]), [
    ["/usr/bin/cat", ["CAP_DAC_READ_SEARCH"]],
    ["/usr/bin/touch", ["CAP_DAC_OVERRIDE", "CAP_PERFMON"]],
  ]);
  // From the stream instead, which saw no narrowing: every broad capability stays.
  const plain = recommend(input);
  assert.deepEqual(plain.capabilities, ["CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_SYS_ADMIN", "CAP_PERFMON"]);
});

Deno.test("recommend drops a broad capability only from the programs where it stood in for a narrow one", () => {
  const cat = { path: "/usr/bin/cat", script: false };
  const touch = { path: "/usr/bin/touch", script: false };
  const usage = new ProgramUsage();
  usage.check(2, 2); // CAP_DAC_READ_SEARCH denied, then CAP_DAC_OVERRIDE as its fallback
  usage.check(2, 1);
  usage.role(cat, 1, "fallback");
  usage.check(3, 1); // a write: CAP_DAC_OVERRIDE on its own
  usage.role(touch, 1, "alone");
  const r = recommend({
    agg: [agg(2, { pid: 2, ret: -1 }), agg(1, { pid: 2, ret: -1 }), agg(1, { pid: 3, ret: -1 })],
    narrowings: [{ cap: 2, insteadOf: 1, count: 1 }],
    alone: new Map([[1, 1]]),
    binary: "/bin/sh",
    programOf: (pid) => pid === 2 ? cat : touch,
    usage,
  });
  assert.deepEqual(r.capabilities, ["CAP_DAC_OVERRIDE"]);
  assert.equal(r.setcap, "setcap cap_dac_read_search+ep /usr/bin/cat\nsetcap cap_dac_override+ep /usr/bin/touch");
});

Deno.test("recommend gives a program that reads and writes CAP_DAC_OVERRIDE alone, and another that reads the narrow one", () => {
  const rw = { path: "/usr/bin/rw", script: false };
  const cat = { path: "/usr/bin/cat", script: false };
  const usage = new ProgramUsage();
  usage.check(2, 2); // rw reads: CAP_DAC_READ_SEARCH denied, CAP_DAC_OVERRIDE as its fallback
  usage.check(2, 1);
  usage.role(rw, 1, "fallback");
  usage.check(2, 1); // and writes: CAP_DAC_OVERRIDE on its own
  usage.role(rw, 1, "alone");
  usage.check(3, 2); // cat reads
  usage.check(3, 1);
  usage.role(cat, 1, "fallback");
  const r = recommend({
    agg: [
      agg(2, { pid: 2, ret: -1 }),
      agg(1, { pid: 2, ret: -1, count: 2 }),
      agg(2, { pid: 3, ret: -1 }),
      agg(1, { pid: 3, ret: -1 }),
    ],
    narrowings: [{ cap: 2, insteadOf: 1, count: 2 }],
    alone: new Map([[1, 1]]),
    binary: "/usr/bin/rw",
    programOf: (pid) => pid === 2 ? rw : cat,
    usage,
  });
  assert.deepEqual(r.capabilities, ["CAP_DAC_OVERRIDE"]);
  assert.equal(r.setcap, "setcap cap_dac_override+ep /usr/bin/rw\nsetcap cap_dac_read_search+ep /usr/bin/cat");
});

Deno.test("recommend comments out setcap for a file it could not find and for a multi-call binary", () => {
  const files = new Map([
    [2, { path: "./my tool", script: false }],
    [3, { path: "/dev/fd/3", script: false }],
    [4, { path: "/bin/busybox", script: false }],
  ]);
  const r = recommend({
    agg: [agg(0, { pid: 2 }), agg(13, { pid: 3 }), agg(12, { pid: 4 })],
    narrowings: [],
    alone: new Map(),
    binary: "/usr/bin/make",
    programOf: (pid) => files.get(pid)!,
  });
  assert.equal(
    r.setcap,
    [
      "# './my tool' (as it was run; captrace could not find the file): grant cap_chown to that file by its full " +
      "path, or to its service or container (below)",
      "# /bin/busybox is a multi-call binary: setcap on it would grant cap_net_admin to every command it provides; " +
      "grant cap_net_admin to its service or container instead (below)",
      "# /dev/fd/3 (as it was run; captrace could not find the file): grant cap_net_raw to that file by its full path, " +
      "or to its service or container (below)",
    ].join("\n"),
  );
});

Deno.test("recommend keeps the root program a script when it is one, where it takes the unclaimed capabilities", () => {
  const root = { path: "/srv/app.py", script: true };
  const r = recommend({
    agg: [],
    narrowings: [{ cap: 38, insteadOf: 21, count: 1 }], // a capability no program's check was charged with
    alone: new Map(),
    root,
    programOf: () => root,
    countsIncomplete: true,
  });
  assert.match(r.setcap, /^# \/srv\/app\.py is a script: .*cap_perfmon/);
});

Deno.test("recommend keeps each setcap line on one line, whatever the path holds, and a shell reads the path back", async () => {
  // Paths a traced process chose: a newline and a command (in a comment, it would run when pasted), a quote, C1.
  const script = "/tmp/a\ntouch /tmp/pwned #";
  const binary = "/tmp/it's\tx\u009b/prog";
  const files = new Map([
    [2, { path: script, script: true }],
    [3, { path: binary, script: false }],
  ]);
  const r = recommend({
    agg: [agg(0, { pid: 2 }), agg(13, { pid: 3 })],
    narrowings: [],
    alone: new Map(),
    binary: "/usr/bin/make",
    programOf: (pid) => files.get(pid)!,
  });
  const lines = r.setcap.split("\n");
  assert.equal(lines.length, 2, r.setcap);
  assert.ok(lines[0]!.startsWith("# $'/tmp/a\\x0atouch /tmp/pwned #' is a script"), lines[0]);
  assert.equal(lines[1], "setcap cap_net_raw+ep $'/tmp/it\\'s\\x09x\\xc2\\x9b/prog'");
  // bash reads each quoted path back as it was.
  for (
    const [line, path] of [[lines[0]!.slice(2, lines[0]!.indexOf(" is a script")), script], [
      lines[1]!.slice("setcap cap_net_raw+ep ".length),
      binary,
    ]]
  ) {
    // In the C locale too, as CI runs it.
    const out = await new Deno.Command("bash", {
      args: ["-c", `printf %s ${line}`],
      stdout: "piped",
      clearEnv: true,
      env: { PATH: "/usr/bin:/bin" },
    }).output();
    assert.equal(new TextDecoder().decode(out.stdout), path);
  }
});

Deno.test("recommend's note says when a setcap line names a system tool, whose capabilities every user would get", () => {
  const note = (programs: [ProgramFile, number][]) =>
    recommend({
      agg: programs.map(([, cap], i) => agg(cap, { pid: 100 + i })),
      narrowings: [],
      alone: new Map(),
      root: programs[0]![0],
      programOf: (pid) => programs[pid - 100]![0],
    }).note;
  const file = (path: string, more: Partial<ProgramFile> = {}): ProgramFile => ({ path, script: false, ...more });
  assert.match(
    note([[file("/usr/bin/chown"), 0]]),
    /left out\. \/usr\/bin\/chown is a system tool: setcap on it gives every user who runs it its capabilities; a copy of its own, or its service or container \(below\), keeps them to this use\.$/,
  );
  assert.match(
    note([[file("/usr/sbin/tool"), 12], [file("/usr/local/bin/other"), 0]]),
    / \/usr\/sbin\/tool, \/usr\/local\/bin\/other are system tools: setcap on them gives every user who runs them their capabilities/,
  );
  // Not for a program of one's own, a script, an interpreter, busybox, nor a container's file.
  for (
    const p of [
      file("/opt/app/bin/server"),
      file("/usr/bin/tool.sh", { script: true }),
      file("/usr/bin/python3"),
      file("/bin/busybox"),
      file("/usr/bin/chown", { mountNs: 4026532000 }),
    ]
  ) assert.doesNotMatch(note([[p, 12]]), /system tool/, p.path);
});
