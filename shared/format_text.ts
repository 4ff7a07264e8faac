/** Human output: one line per check, compatible with the original captrace, plus the other event lines. */

import { capLabel } from "./capabilities.ts";
import { errnoText } from "./errno.ts";
import type { CheckEvent, ExecEvent, ExitEvent } from "./event.ts";

function _pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** "YYYY/MM/DD HH:MM:SS" in local time, as Go's log package stamps lines. */
export function logStamp(date: Date): string {
  return `${date.getFullYear()}/${_pad(date.getMonth() + 1)}/${_pad(date.getDate())} ` +
    `${_pad(date.getHours())}:${_pad(date.getMinutes())}:${_pad(date.getSeconds())}`;
}

// Formatting runs once per check, up to millions of times a second: the parts that repeat are computed once.
// Checks come in time order, so the stamp changes once a second; comms and capabilities are few.
let _stampKey = "";
let _stampText = "";
const _comms = new Map<string, string>();
const _caps = new Map<number, string>();
const _CACHE_MAX = 4096;

/** logStamp of an ISO time, recomputed only when its second changes (zone offsets are whole seconds). */
function _stamp(iso: string): string {
  const key = iso.slice(0, 19);
  if (key !== _stampKey) {
    _stampKey = key;
    _stampText = logStamp(new Date(iso));
  }
  return _stampText;
}

/** The comm padded to 16 columns. Go's %-16s counts runes, not UTF-16 units: an emoji is one column. */
function _paddedComm(comm: string): string {
  let p = _comms.get(comm);
  if (p === undefined) {
    p = comm + " ".repeat(Math.max(0, 16 - [...comm].length));
    if (_comms.size >= _CACHE_MAX) _comms.clear();
    _comms.set(comm, p);
  }
  return p;
}

function _quotedCap(cap: number): string {
  let q = _caps.get(cap);
  if (q === undefined) {
    q = JSON.stringify(capLabel(cap));
    if (_caps.size >= _CACHE_MAX) _caps.clear();
    _caps.set(cap, q);
  }
  return q;
}

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
 *   errno: null, syscall: 41, syscall_name: "socket", opts: 0, audit: true, insetid: false,
 *   opts_source: "inferred", userns: null, target_userns: null, site: null, site_reason: null, script: null });
 * assert(line.endsWith('ping             10+{11} opt=0 "cap_net_raw" -> 0 syscall=socket'));
 * ```
 */
export function formatCheck(e: CheckEvent): string {
  const task = e.tid !== e.pid ? `+{${e.tid}}` : "";
  const detail = e.ret < 0 ? ` (${errnoText(-e.ret)})` : "";
  const sys = e.syscall_name ?? (e.syscall === null ? "-" : String(e.syscall));
  let line = `${_stamp(e.time)} ${_paddedComm(e.comm)} ${e.pid}${task} opt=${e.opts} ` +
    `${_quotedCap(e.cap)} -> ${e.ret}${detail} syscall=${sys}`;
  if (e.site?.file && e.site.line !== null) {
    line += ` at ${e.site.file}:${e.site.line}` + (e.site.function ? ` (${e.site.function})` : "");
  } else if (e.site?.function) {
    line += ` in ${e.site.function}`;
  }
  return line;
}

/** strace-style marker for an exec in the traced tree. */
export function formatExec(e: ExecEvent): string {
  return `+++ ${e.pid} exec ${e.filename} +++`;
}

/** strace-style marker for a process's end: `+++ 42 exited with 0 +++` or `+++ 42 killed by SIGKILL +++`. */
export function formatExit(e: ExitEvent, signalName: (n: number) => string): string {
  return e.signal !== null
    ? `+++ ${e.pid} killed by ${signalName(e.signal)} +++`
    : `+++ ${e.pid} exited with ${e.code} +++`;
}
