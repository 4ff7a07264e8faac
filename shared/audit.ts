/** The kernel's CAP_OPT_* flags, and how to infer them from the kernel caller when the tracepoint hides them. */

/** CAP_OPT_NOAUDIT: a probing check the kernel does not audit. */
export const CAP_OPT_NOAUDIT = 2;
/** CAP_OPT_INSETID: a check made while changing ids (setuid family). */
export const CAP_OPT_INSETID = 4;

// Kernel functions that call cap_capable with CAP_OPT_NOAUDIT, and the one that passes CAP_OPT_INSETID.
const CALLERS: readonly (readonly [string, number])[] = [
  ["security_vm_enough_memory_mm", CAP_OPT_NOAUDIT],
  ["ns_capable_noaudit", CAP_OPT_NOAUDIT],
  ["has_ns_capability_noaudit", CAP_OPT_NOAUDIT],
  ["has_capability_noaudit", CAP_OPT_NOAUDIT],
  // An exec under ptrace that gains capabilities: could the tracer have them (cap_bprm_creds_from_file)?
  ["ptracer_capable", CAP_OPT_NOAUDIT],
  ["ns_capable_setid", CAP_OPT_INSETID],
];

const _encoder = new TextEncoder();
const CALLER_BYTES = CALLERS.map(([fn, opts]) => [_encoder.encode(fn), opts] as const);
/** 1 at the first bytes of the callers' names: a frame starting with another is none of them. */
const CALLER_FIRST = new Uint8Array(256);
for (const [fn] of CALLER_BYTES) CALLER_FIRST[fn[0]!] = 1;

/**
 * CAP_OPT_* bits of one kernel stack frame ("ns_capable_setid+45"), as bpftrace prints it or trimmed: the flag of
 * the caller it names, or 0. The stream's frames are read as bytes by frameOptsAt; this serves frames already text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameOpts } from "./audit.ts";
 * assert(frameOpts("        ns_capable_setid+45") === 4);
 * assert(frameOpts("ns_capable+45") === 0);
 * ```
 */
export function frameOpts(frame: string): number {
  const b = _encoder.encode(frame);
  const opts = frameOptsAt(b, 0, b.length);
  return opts >= 0 ? opts : _trimmedFrameOpts(frame);
}

/**
 * frameOpts of the frame `buf[start, end)`, read as bytes where it lies: every check brings its stack, and the
 * stream's frames never become strings. Returns -1 for an odd frame (not indented with spaces, not ASCII, or with
 * something after the caller's name but its offset), which frameOpts must decide on its trimmed text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { frameOptsAt } from "./audit.ts";
 * const b = new TextEncoder().encode("        ns_capable_setid+45");
 * assert(frameOptsAt(b, 0, b.length) === 4);
 * ```
 */
export function frameOptsAt(buf: Uint8Array, start: number, end: number): number {
  let at = start;
  while (at < end && buf[at] === 32) at++;
  const c = at < end ? buf[at]! : 0;
  // A frame starting with a visible ASCII character no caller's name starts with is none.
  if (CALLER_FIRST[c] === 0) return c > 32 && c < 127 ? 0 : -1;
  for (const [fn, opts] of CALLER_BYTES) {
    const after = at + fn.length;
    if (after > end) continue;
    let i = 0;
    while (i < fn.length && buf[at + i] === fn[i]) i++;
    if (i < fn.length) continue;
    return after === end || buf[after] === 43 ? opts : -1; // 43: "+"
  }
  return 0;
}

/** The exact rule, for any frame: the function name is the trimmed frame up to its first "+". */
function _trimmedFrameOpts(frame: string): number {
  const f = frame.trim();
  const plus = f.indexOf("+");
  const fn = plus < 0 ? f : f.slice(0, plus);
  for (const [name, opts] of CALLERS) if (fn === name) return opts;
  return 0;
}

/**
 * CAP_OPT_* bits inferred from the kernel stack of a tracepoint check (frames like "ns_capable_setid+45").
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { optsFromStack } from "./audit.ts";
 * assert(optsFromStack(["cap_capable+131", "security_vm_enough_memory_mm+54"]) === 2);
 * assert(optsFromStack(["cap_capable+131", "security_capable+59", "ns_capable_setid+45"]) === 4);
 * ```
 */
export function optsFromStack(stack: readonly string[]): number {
  let opts = 0;
  for (const frame of stack) opts |= frameOpts(frame);
  return opts;
}

/** True when a check with these opts is audited (would be logged by the audit subsystem on denial). */
export function isAudited(opts: number): boolean {
  return (opts & CAP_OPT_NOAUDIT) === 0;
}
