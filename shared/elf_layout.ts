/** What `readelf -lSW` tells about an executable: its loadable segments, interpreter and debug sections. */

/**
 * True when `head`, the first bytes of a file, starts with ELF's magic number: the file is an ELF object, not a script.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hasElfMagic } from "./elf_layout.ts";
 * assert.ok(hasElfMagic(new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2])));
 * assert.ok(!hasElfMagic(new TextEncoder().encode("#!/bin/sh\n")));
 * ```
 */
export function hasElfMagic(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46;
}

/** One PT_LOAD program header. */
export interface LoadSegment {
  offset: bigint;
  vaddr: bigint;
  filesz: bigint;
  memsz: bigint;
  /** Executable (PF_X). */
  exec: boolean;
}

/** The parts of an ELF file that source lookup needs. */
export interface ElfLayout {
  /** ELF file type: "EXEC" (fixed address), "DYN" (position-independent), or another readelf word. */
  type: string;
  /** Requested program interpreter (the dynamic loader), null for a static binary. */
  interpreter: string | null;
  loads: LoadSegment[];
  /** Has DWARF line tables (`.debug_line`), so addresses map to file:line. */
  debugLines: boolean;
  /** Has a symbol table (`.symtab`), so addresses map at least to function names. */
  symbols: boolean;
  /** Points to a separate debug file (`.gnu_debuglink`), which addr2line may find. */
  debugLink: boolean;
}

const LOAD =
  /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+(.*?)\s+0x[0-9a-f]+\s*$/;
const SECTION = /^\s*\[\s*\d+\]\s+(\S+)/;

/**
 * Parse the output of `readelf -lSW FILE` (program headers and section headers, wide).
 * Throws a SyntaxError when the text has no program headers (not an ELF executable).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseElfLayout } from "./elf_layout.ts";
 * const l = parseElfLayout([
 *   "Elf file type is DYN (Position-Independent Executable file)",
 *   "  LOAD 0x001000 0x0000000000001000 0x0000000000001000 0x0001d9 0x0001d9 R E 0x1000",
 * ].join("\n"));
 * assert(l.type === "DYN" && l.loads[0]?.exec === true);
 * ```
 */
export function parseElfLayout(text: string): ElfLayout {
  let type: string | null = null;
  let interpreter: string | null = null;
  const loads: LoadSegment[] = [];
  const sections = new Set<string>();
  for (const line of text.split("\n")) {
    const t = /^Elf file type is (\S+)/.exec(line);
    if (t) {
      type = t[1]!;
      continue;
    }
    const i = /\[Requesting program interpreter: (.*)\]\s*$/.exec(line);
    if (i) {
      interpreter = i[1]!;
      continue;
    }
    const l = LOAD.exec(line);
    if (l) {
      loads.push({
        offset: BigInt(l[1]!),
        vaddr: BigInt(l[2]!),
        filesz: BigInt(l[3]!),
        memsz: BigInt(l[4]!),
        exec: l[5]!.includes("E"),
      });
      continue;
    }
    const s = SECTION.exec(line);
    if (s) sections.add(s[1]!);
  }
  if (type === null || loads.length === 0) throw new SyntaxError("No program headers: not an ELF executable");
  return {
    type,
    interpreter,
    loads,
    debugLines: sections.has(".debug_line") || sections.has(".zdebug_line"),
    symbols: sections.has(".symtab"),
    debugLink: sections.has(".gnu_debuglink"),
  };
}

/**
 * The executable segment the kernel takes as the start of code: the PF_X PT_LOAD with the lowest address
 * (binfmt_elf sets `mm->start_code` to its p_vaddr plus the load bias). Null when there is none.
 */
export function codeSegment(layout: ElfLayout): LoadSegment | null {
  let best: LoadSegment | null = null;
  for (const l of layout.loads) {
    if (l.exec && (best === null || l.vaddr < best.vaddr)) best = l;
  }
  return best;
}

/** True for a statically linked program (no dynamic loader requested), including static-pie. */
export function isStatic(layout: ElfLayout): boolean {
  return layout.interpreter === null;
}
