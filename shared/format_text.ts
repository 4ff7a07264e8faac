/** Human output: one line per check, compatible with the original captrace, plus the other event lines. */

import { ByteBuffer } from "./byte_buffer.ts";
import { capLabel } from "./capabilities.ts";
import { errnoText } from "./errno.ts";
import type { CheckEvent, ExecEvent, ExitEvent } from "./event.ts";
import { syscallLabel } from "./syscalls.ts";
import { escapedByte } from "./lossless_text.ts";
import { initialOrUnknown } from "./user_namespace.ts";

function _pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** "YYYY/MM/DD HH:MM:SS" in local time, as Go's log package stamps lines. */
export function logStamp(date: Date): string {
  return `${date.getFullYear()}/${_pad(date.getMonth() + 1)}/${_pad(date.getDate())} ` +
    `${_pad(date.getHours())}:${_pad(date.getMinutes())}:${_pad(date.getSeconds())}`;
}

// Formatting runs once per check, up to millions of times a second: the parts that repeat are encoded once.
// Checks come in time order, so the stamp changes once a second; comms, capabilities and syscalls are few.
const _encoder = new TextEncoder();
let _stampTime = "";
let _stampKey = "";
let _stampBytes = new Uint8Array(0);
const _comms = new Map<string, Uint8Array>();
const _caps: (Uint8Array | undefined)[] = []; // by capability number
const _names = new Map<string, Uint8Array>();
const _errnos: (Uint8Array | undefined)[] = []; // by errno
const _CACHE_MAX = 4096;
const _PLUS_BRACE = _encoder.encode("+{");
const _OPT = _encoder.encode(" opt=");
const _SYSCALL = _encoder.encode(" syscall=");
const _USERNS = _encoder.encode(" userns=");

/** The bytes for small number `n` from `table`, made on first use; numbers out of range are not kept. */
function _indexed(table: (Uint8Array | undefined)[], n: number, make: (n: number) => string): Uint8Array {
  const kept = n >= 0 && n < _CACHE_MAX;
  let b = kept ? table[n] : undefined;
  if (b === undefined) {
    b = _encoder.encode(make(n));
    if (kept) table[n] = b;
  }
  return b;
}

function _cached<K>(map: Map<K, Uint8Array>, key: K, make: (key: K) => string): Uint8Array {
  let b = map.get(key);
  if (b === undefined) {
    b = _encoder.encode(make(key));
    if (map.size >= _CACHE_MAX) map.clear();
    map.set(key, b);
  }
  return b;
}

/** logStamp of an ISO time and a space, recomputed only when its second changes (zone offsets are whole seconds). */
function _stamp(iso: string): Uint8Array {
  if (iso === _stampTime) return _stampBytes;
  _stampTime = iso;
  const key = iso.slice(0, 19);
  if (key !== _stampKey) {
    _stampKey = key;
    _stampBytes = _encoder.encode(logStamp(new Date(iso)) + " ");
  }
  return _stampBytes;
}

/** The comm padded to 16 columns and a space. Go's %-16s counts runes, not UTF-16 units: an emoji is one column. */
function _paddedComm(comm: string): string {
  const shown = printable(comm);
  return shown + " ".repeat(Math.max(0, 16 - [...shown].length)) + " ";
}

// Control characters (C0, DEL, C1), the backslash that escapes them, and bytes that were not UTF-8 (lossless_text.ts).
// deno-lint-ignore no-control-regex
const _CONTROL = /[\x00-\x1f\x7f-\x9f\\\udc80-\udcff]/g;
const _NAMED: Record<string, string> = { "\n": "\\n", "\t": "\\t", "\r": "\\r", "\\": "\\\\" };

/**
 * Items as a sentence lists them: "A", "A and B", "A, B and C".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { andList } from "./format_text.ts";
 * assert.equal(andList(["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"]), "CAP_CHOWN, CAP_KILL and CAP_NET_RAW");
 * assert.equal(andList(["CAP_CHOWN", "CAP_KILL"]), "CAP_CHOWN and CAP_KILL");
 * ```
 */
export function andList(items: readonly string[]): string {
  return items.length <= 2 ? items.join(" and ") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
}

/**
 * `text` with its control characters escaped (`\n`, `\x1b`…) and its backslashes doubled: a comm or a file name is
 * chosen by the traced process, and written raw it could move the terminal's cursor, or make lines of its own.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { printable } from "./format_text.ts";
 * assert.equal(printable("a\nb\x1b[2K\\"), "a\\nb\\x1b[2K\\\\");
 * assert.equal(printable("Web Content"), "Web Content");
 * ```
 */
export function printable(text: string): string {
  return text.replace(_CONTROL, (c) => {
    const unit = c.charCodeAt(0);
    return _NAMED[c] ?? `\\x${(escapedByte(unit) ?? unit).toString(16).padStart(2, "0")}`;
  });
}

/** The quoted capability name and the arrow. */
function _quotedCap(cap: number): string {
  return JSON.stringify(capLabel(cap)) + " -> ";
}

/** The errno's text in parentheses, after a space. */
function _errno(errno: number): string {
  return ` (${errnoText(errno)})`;
}

function _same(s: string): string {
  return s;
}

/**
 * Writes one check as formatCheck() shows it, without its newline, into `out`: what the CLI does for each check,
 * with no string made for it.
 */
export function writeCheck(out: ByteBuffer, e: CheckEvent): void {
  out.raw(_stamp(e.time));
  out.raw(_cached(_comms, e.comm, _paddedComm));
  out.int(e.pid);
  if (e.tid !== e.pid) {
    out.raw(_PLUS_BRACE);
    out.int(e.tid);
    out.byte(125); // "}"
  }
  out.raw(_OPT);
  out.int(e.opts);
  out.byte(32);
  out.raw(_indexed(_caps, e.cap, _quotedCap));
  out.int(e.ret);
  if (e.ret < 0) out.raw(_indexed(_errnos, -e.ret, _errno));
  out.raw(_SYSCALL);
  // The name or number: "-" outside a syscall.
  out.raw(_cached(_names, syscallLabel(e.syscall_name, e.syscall, e.syscall_abi), _same));
  // Checked against a user namespace other than the initial one (a container's, one `unshare -U` made): the verdict
  // holds there only.
  if (!initialOrUnknown(e.target_userns)) {
    out.raw(_USERNS);
    out.int(e.target_userns!);
  }
  if (e.site?.file && e.site.line !== null) {
    out.text(` at ${e.site.file}:${e.site.line}` + (e.site.function ? ` (${e.site.function})` : ""));
  } else if (e.site?.function) {
    out.text(` in ${e.site.function}`);
  } else if (e.site) {
    // No symbols (a stripped binary): where in which file, for addr2line or a debugger with the debug file.
    out.text(` at ${printable(e.site.binary)}+${e.site.address}`);
  } else if (e.script) {
    // An interpreter's check: the script it ran (--sites).
    out.text(` in script ${printable(e.script)}`);
  } else if (e.site_reason) {
    // Asked for (--sites), not found: why, in short ("static binary", not its whole explanation).
    out.text(` (no site: ${printable(e.site_reason.split(": ")[0]!)})`);
  }
}

const _scratch = new ByteBuffer(256);
const _decoder = new TextDecoder();

/**
 * One check as the original captrace printed it, with the syscall (and the source line, when known) appended:
 * `2026/11/29 00:45:01 chown            2155 opt=0 "cap_chown" -> -1 (operation not permitted) syscall=fchownat`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatCheck } from "./format_text.ts";
 * const line = formatCheck({ v: 1, type: "check", ts: 0, time: "2026-01-02T03:04:05.000Z", pid: 10, tid: 11,
 *   ppid: 1, uid: 0, euid: 0, comm: "ping", cap: 13, cap_name: "cap_net_raw", ret: 0, verdict: "allowed",
 *   errno: null, syscall: 41, syscall_name: "socket", syscall_abi: "x86_64", opts: 0, audit: true, insetid: false,
 *   opts_source: "inferred", userns: null, target_userns: null, site: null, site_reason: null, script: null });
 * assert(line.endsWith('ping             10+{11} opt=0 "cap_net_raw" -> 0 syscall=socket'));
 * ```
 */
export function formatCheck(e: CheckEvent): string {
  _scratch.clear();
  writeCheck(_scratch, e);
  return _decoder.decode(_scratch.view());
}

/** strace-style marker for an exec in the traced tree. */
export function formatExec(e: ExecEvent): string {
  return `+++ ${e.pid} exec ${printable(e.filename)} +++`;
}

/**
 * strace-style marker for a process's end: `+++ 42 exited with 0 +++`, `+++ 42 killed by SIGKILL +++`, or
 * `+++ 42 killed by SIGSEGV (core dumped) +++`.
 */
export function formatExit(e: ExitEvent, signalName: (n: number) => string): string {
  return e.signal !== null
    ? `+++ ${e.pid} killed by ${signalName(e.signal)}${e.core_dumped ? " (core dumped)" : ""} +++`
    : `+++ ${e.pid} exited with ${e.code} +++`;
}
