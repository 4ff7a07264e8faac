/** Syscall names by number for the architectures whose syscall number captrace can read. */

import { I386_SYSCALLS } from "./syscalls_i386.ts";
import { X86_64_SYSCALLS } from "./syscalls_x86_64.ts";

/**
 * Added to the number of a 32-bit (i386) syscall on x86_64, as the kernel program reports it: a 32-bit program's
 * calls, or `int 0x80` in a 64-bit one, are numbered from another table. Past every number of both tables, and
 * apart from x32's syscall bit (0x40000000).
 */
export const I386_SYSCALL = 0x20000000;

/** x32's syscall bit (__X32_SYSCALL_BIT): its calls come with it set. */
const X32_SYSCALL = 0x40000000;

/** A syscall number as reported, split into its ABI and its number in that ABI's table. */
export interface Syscall {
  abi: "x86_64" | "i386" | "x32";
  nr: number;
}

/**
 * The ABI and number of reported syscall `nr` on `arch`, or null when none is known (negative: no syscall in
 * progress; or another architecture, whose syscall number is not read).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { I386_SYSCALL, syscallOf } from "./syscalls.ts";
 * assert.deepEqual(syscallOf(I386_SYSCALL + 212), { abi: "i386", nr: 212 });
 * ```
 */
export function syscallOf(nr: number, arch = "x86_64"): Syscall | null {
  if (nr < 0 || arch !== "x86_64") return null;
  if (nr >= X32_SYSCALL) return { abi: "x32", nr: nr - X32_SYSCALL };
  return nr >= I386_SYSCALL ? { abi: "i386", nr: nr - I386_SYSCALL } : { abi: "x86_64", nr };
}

/**
 * The name of reported syscall `nr` on `arch`, or null when unknown (or negative: no syscall in progress).
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
  return syscallNameOf(syscallOf(nr, arch));
}

/** The name of a syscall syscallOf gave, or null when unknown. */
export function syscallNameOf(s: Syscall | null): string | null {
  // x32's numbers follow neither table throughout: not named.
  if (s === null || s.abi === "x32") return null;
  return (s.abi === "i386" ? I386_SYSCALLS : X86_64_SYSCALLS)[s.nr] || null;
}

/**
 * How a syscall is shown: its name, else its number in its ABI's table, with the ABI before it when that is not
 * x86_64's ("i386:471"); "-" for none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { syscallLabel } from "./syscalls.ts";
 * assert.equal(syscallLabel("fchownat", 260, "x86_64"), "fchownat");
 * assert.equal(syscallLabel(null, 471, "i386"), "i386:471");
 * ```
 */
export function syscallLabel(name: string | null, nr: number | null, abi: Syscall["abi"] | null): string {
  if (name !== null) return name;
  if (nr === null) return "-";
  return abi === null || abi === "x86_64" ? String(nr) : `${abi}:${nr}`;
}
