/** The kernel's CAP_OPT_* flags, and how to infer them from the kernel caller when the tracepoint hides them. */

/** CAP_OPT_NOAUDIT: a probing check the kernel does not audit. */
export const CAP_OPT_NOAUDIT = 2;
/** CAP_OPT_INSETID: a check made while changing ids (setuid family). */
export const CAP_OPT_INSETID = 4;

// Kernel functions that call cap_capable with CAP_OPT_NOAUDIT, and the one that passes CAP_OPT_INSETID.
const NOAUDIT_CALLERS = [
  "security_vm_enough_memory_mm",
  "ns_capable_noaudit",
  "has_ns_capability_noaudit",
  "has_capability_noaudit",
];
const INSETID_CALLERS = ["ns_capable_setid"];

function _fn(frame: string): string {
  const plus = frame.indexOf("+");
  return plus < 0 ? frame : frame.slice(0, plus);
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
  for (const frame of stack) opts |= _frameOpts(frame);
  return opts;
}

// Every check brings its stack, but a kernel has few distinct call sites: decide each frame once.
const _frames = new Map<string, number>();

function _frameOpts(frame: string): number {
  let opts = _frames.get(frame);
  if (opts === undefined) {
    const fn = _fn(frame);
    opts = (NOAUDIT_CALLERS.includes(fn) ? CAP_OPT_NOAUDIT : 0) | (INSETID_CALLERS.includes(fn) ? CAP_OPT_INSETID : 0);
    if (_frames.size >= 65536) _frames.clear();
    _frames.set(frame, opts);
  }
  return opts;
}

/** True when a check with these opts is audited (would be logged by the audit subsystem on denial). */
export function isAudited(opts: number): boolean {
  return (opts & CAP_OPT_NOAUDIT) === 0;
}
