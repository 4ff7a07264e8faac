/** Syscall names by number for the architectures whose syscall number captrace can read. */

import { X86_64_SYSCALLS } from "./syscalls_x86_64.ts";

/**
 * The name of syscall `nr` on `arch`, or null when unknown (or negative: no syscall in progress).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { syscallName } from "./syscalls.ts";
 * assert(syscallName(260) === "fchownat");
 * assert(syscallName(-1) === null);
 * ```
 */
export function syscallName(nr: number, arch = "x86_64"): string | null {
  if (nr < 0 || arch !== "x86_64") return null;
  return X86_64_SYSCALLS[nr] || null;
}
