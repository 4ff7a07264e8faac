/** Turns a run-time return address into the link-time address that addr2line understands. */

import { codeSegment, type ElfLayout } from "./elf_layout.ts";

/** The link-time address, or why there is none. */
export type LinkAddress = { address: bigint } | { reason: string };

const PAGE = 0x1000n;

/** Reason given when the kernel found no return address into the program on the user stack. */
export const NO_RETURN_ADDRESS = "address not in program code (no return address into the program on the stack)";

/**
 * Map a return address `ra` seen in a process whose `mm->start_code` was `cs` to the executable's link-time
 * address: `ra − cs + p_vaddr` of the code segment. The kernel sets start_code to that segment's p_vaddr plus
 * the load bias, so the difference `cs − p_vaddr` is the bias: zero for a fixed-address (EXEC) program,
 * a page-aligned random base for a position-independent (DYN) one. A start_code that fits neither means the
 * file is not the program that ran (replaced, or the wrong file).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linkAddress } from "./site_address.ts";
 * import { parseElfLayout } from "./elf_layout.ts";
 * const pie = parseElfLayout("Elf file type is DYN (x)\n LOAD 0x1000 0x1000 0x1000 0x2000 0x2000 R E 0x1000\n");
 * const r = linkAddress(0x55e1d19938ecn, 0x55e1d1992000n, pie);
 * assert("address" in r && r.address === 0x28ecn);
 * ```
 */
export function linkAddress(ra: bigint, cs: bigint, layout: ElfLayout): LinkAddress {
  if (ra === 0n) return { reason: NO_RETURN_ADDRESS };
  const code = codeSegment(layout);
  if (!code) return { reason: "executable has no code segment" };
  const bias = cs - code.vaddr;
  if (layout.type === "EXEC" ? bias !== 0n : bias < 0n || bias % PAGE !== 0n) {
    return { reason: "executable on disk does not match the running program (replaced since?)" };
  }
  let end = code.vaddr + code.filesz;
  for (const l of layout.loads) {
    if (l.exec && l.vaddr + l.filesz > end) end = l.vaddr + l.filesz;
  }
  const address = ra - bias;
  if (address < code.vaddr || address >= end) return { reason: NO_RETURN_ADDRESS };
  return { address };
}

/** Hex form used in events: `0x18ec`. */
export function hexAddress(address: bigint): string {
  return "0x" + address.toString(16);
}
