/** Tests of the text formatter: byte-exact lines in the original Go captrace format, plus exec/exit markers. */

import assert from "node:assert/strict";
import { formatCheck, formatExec, formatExit, logStamp } from "./format_text.ts";
import type { CheckEvent } from "./event.ts";
import { signalName } from "./signals.ts";

// Built from local fields, so the expected stamp does not depend on the machine's time zone.
const LOCAL = new Date(2026, 10, 29, 0, 45, 1, 999);
const STAMP = "2026/11/29 00:45:01";

function ev(over: Partial<CheckEvent> = {}): CheckEvent {
  return {
    v: 1,
    type: "check",
    ts: 0,
    time: LOCAL.toISOString(),
    pid: 2155,
    tid: 2155,
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
    userns: null,
    target_userns: null,
    site: null,
    site_reason: null,
    script: null,
    ...over,
  };
}

Deno.test("logStamp prints local time as Go's log package does, zero-padded, without milliseconds", () => {
  assert.equal(logStamp(LOCAL), STAMP);
  assert.equal(logStamp(new Date(2026, 0, 2, 3, 4, 5)), "2026/01/02 03:04:05");
  assert.equal(logStamp(new Date(1999, 11, 31, 23, 59, 59, 999)), "1999/12/31 23:59:59");
});

Deno.test("formatCheck prints a denied check byte for byte as the original, plus the syscall", () => {
  assert.equal(
    formatCheck(ev()),
    `${STAMP} chown            2155 opt=0 "cap_chown" -> -1 (operation not permitted) syscall=fchownat`,
  );
});

Deno.test("formatCheck prints an allowed check without errno text", () => {
  assert.equal(
    formatCheck(ev({ ret: 0, verdict: "allowed", errno: null, cap: 13, cap_name: "cap_net_raw", comm: "ping" })),
    `${STAMP} ping             2155 opt=0 "cap_net_raw" -> 0 syscall=fchownat`,
  );
});

Deno.test("formatCheck adds +{tid} only for a thread other than the main one", () => {
  assert.equal(
    formatCheck(ev({ tid: 2160 })),
    `${STAMP} chown            2155+{2160} opt=0 "cap_chown" -> -1 (operation not permitted) syscall=fchownat`,
  );
});

Deno.test("formatCheck prints the opts bits", () => {
  const line = formatCheck(ev({ opts: 2, audit: false, cap: 21, cap_name: "cap_sys_admin", ret: 0 }));
  assert.equal(line, `${STAMP} chown            2155 opt=2 "cap_sys_admin" -> 0 syscall=fchownat`);
});

Deno.test("formatCheck names the user namespace a check was made against, when it is not the initial one", () => {
  // chown in `unshare -Ur`: allowed there, though the file's owner, not mapped into it, makes the call fail.
  const inside = formatCheck(
    ev({ ret: 0, verdict: "allowed", errno: null, userns: 4026532178, target_userns: 4026532178 }),
  );
  assert.equal(inside, `${STAMP} chown            2155 opt=0 "cap_chown" -> 0 syscall=fchownat userns=4026532178`);
  // The initial one, or not known: as the original.
  for (const target_userns of [4026531837, 0, null]) {
    assert.ok(formatCheck(ev({ target_userns })).endsWith("syscall=fchownat"), String(target_userns));
  }
});

Deno.test("formatCheck says, with --sites, the script of an interpreter's check, or why no site was found", () => {
  const script = formatCheck(
    ev({ script: "/srv/job.sh", site_reason: "interpreter dash: its script's line is not read" }),
  );
  assert.ok(script.endsWith("syscall=fchownat in script /srv/job.sh"), script);
  const reason = formatCheck(ev({ site_reason: "static binary: its C library is part of the program's code" }));
  assert.ok(reason.endsWith("syscall=fchownat (no site: static binary)"), reason);
  // Not asked for: as the original.
  assert.ok(formatCheck(ev()).endsWith("syscall=fchownat"));
});

Deno.test("formatCheck quotes an unknown capability's number, as Go's %q of cap.Value does", () => {
  const line = formatCheck(ev({ cap: 41, cap_name: null }));
  assert.equal(line, `${STAMP} chown            2155 opt=0 "41" -> -1 (operation not permitted) syscall=fchownat`);
});

Deno.test("formatCheck prints Go's errno texts, and errno N for unknown ones", () => {
  assert.match(formatCheck(ev({ ret: -13 })), / -> -13 \(permission denied\) /);
  assert.match(formatCheck(ev({ ret: -12 })), / -> -12 \(cannot allocate memory\) /);
  assert.match(formatCheck(ev({ ret: -95 })), / -> -95 \(errno 95\) /);
});

Deno.test("formatCheck prints syscall=- outside a syscall and the number for an unknown one", () => {
  assert.ok(formatCheck(ev({ syscall: null, syscall_name: null })).endsWith(" syscall=-"));
  assert.ok(formatCheck(ev({ syscall: 999, syscall_name: null })).endsWith(" syscall=999"));
  // A number of another table says which: not read as x86_64's.
  assert.ok(formatCheck(ev({ syscall: 471, syscall_name: null, syscall_abi: "i386" })).endsWith(" syscall=i386:471"));
});

Deno.test("formatCheck pads the comm to 16 and does not cut a longer one", () => {
  assert.equal(formatCheck(ev({ comm: "Web Content" })).slice(20, 37), "Web Content      ");
  assert.equal(formatCheck(ev({ comm: "x".repeat(16) })).slice(20, 38), "x".repeat(16) + " 2");
  assert.equal(formatCheck(ev({ comm: "" })).slice(20, 37), " ".repeat(17));
});

Deno.test("formatCheck pads the comm by characters, as Go's %-16s counts runes", () => {
  // Go pads "🔥worker" (7 runes) with 9 spaces; UTF-16 length would give 8.
  const line = formatCheck(ev({ comm: "🔥worker" }));
  assert.ok(line.includes(" 🔥worker" + " ".repeat(9) + " 2155 "), line);
  assert.ok(formatCheck(ev({ comm: "café" })).includes(" café" + " ".repeat(12) + " 2155 "));
});

Deno.test("formatCheck appends the source line and function when known", () => {
  const site = { binary: "/usr/bin/x", address: "0x1189", function: "main", file: "x.c", line: 12 };
  assert.ok(formatCheck(ev({ site })).endsWith(" syscall=fchownat at x.c:12 (main)"));
  assert.ok(formatCheck(ev({ site: { ...site, function: null } })).endsWith(" syscall=fchownat at x.c:12"));
  assert.ok(formatCheck(ev({ site: { ...site, file: null, line: null } })).endsWith(" syscall=fchownat in main"));
  // Stripped: the address in its file, as JSON has it.
  const bare = { ...site, file: null, line: null, function: null };
  assert.ok(formatCheck(ev({ site: bare })).endsWith(" syscall=fchownat at /usr/bin/x+0x1189"));
});

Deno.test("formatCheck and formatExec write bytes that were not UTF-8 as \\xNN, as strace does", () => {
  assert.match(formatCheck(ev({ comm: "\udcff\udcfex\x1b" })), / \\xff\\xfex\\x1b {4}2155 opt=0 /);
  const exec = formatExec({ v: 1, type: "exec", ts: 0, pid: 7, ppid: 1, comm: "x", filename: "/tmp/a\udce9b" });
  assert.equal(exec, "+++ 7 exec /tmp/a\\xe9b +++");
});

Deno.test("formatExec prints an strace-style marker", () => {
  assert.equal(
    formatExec({ v: 1, type: "exec", ts: 1, pid: 42, ppid: 1, comm: "true", filename: "/usr/bin/true" }),
    "+++ 42 exec /usr/bin/true +++",
  );
});

Deno.test("formatExit prints the exit code or the killing signal, and a core dumped as strace does", () => {
  const base = { v: 1, type: "exit", ts: 1, pid: 42, root: true, core_dumped: false } as const;
  assert.equal(formatExit({ ...base, code: 3, signal: null }, signalName), "+++ 42 exited with 3 +++");
  assert.equal(formatExit({ ...base, code: null, signal: 9 }, signalName), "+++ 42 killed by SIGKILL +++");
  assert.equal(
    formatExit({ ...base, code: null, signal: 11, core_dumped: true }, signalName),
    "+++ 42 killed by SIGSEGV (core dumped) +++",
  );
});

Deno.test("a comm or file name with control characters stays on one line, escaped", () => {
  const line = formatCheck(ev({ comm: "\nS begin\x1b[2K" }));
  assert.equal(
    line,
    `${STAMP} \\nS begin\\x1b[2K 2155 opt=0 "cap_chown" -> -1 (operation not permitted) syscall=fchownat`,
  );
  assert.equal(formatCheck(ev({ comm: "a\\b" })).includes(" a\\\\b "), true);
  const exec = formatExec({ v: 1, type: "exec", ts: 0, pid: 7, ppid: 1, comm: "x", filename: "/tmp/a\nX 1 7 0 1/x" });
  assert.equal(exec, "+++ 7 exec /tmp/a\\nX 1 7 0 1/x +++");
});
