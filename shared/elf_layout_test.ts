/** Tests of readelf parsing: PIE, fixed-address, static and stripped executables recorded from gcc builds. */

import assert from "node:assert/strict";
import { codeSegment, isStatic, parseElfLayout } from "./elf_layout.ts";

const read = (name: string) => Deno.readTextFileSync(new URL(`./testdata/sites/${name}`, import.meta.url));

Deno.test("elf layout of a PIE with debug info: DYN, code segment at 0x1000, debug lines and symbols", () => {
  const l = parseElfLayout(read("elf_pie_debug.txt"));
  assert.equal(l.type, "DYN");
  assert.equal(l.interpreter, "/lib64/ld-linux-x86-64.so.2");
  assert.equal(l.loads.length, 4);
  assert.deepEqual(codeSegment(l), { offset: 0x1000n, vaddr: 0x1000n, filesz: 0x1d9n, memsz: 0x1d9n, exec: true });
  assert.equal(l.debugLines, true);
  assert.equal(l.symbols, true);
  assert.equal(l.debugLink, false);
  assert.equal(isStatic(l), false);
});

Deno.test("elf layout of a non-PIE: EXEC, code segment at 0x401000", () => {
  const l = parseElfLayout(read("elf_nopie.txt"));
  assert.equal(l.type, "EXEC");
  assert.equal(codeSegment(l)?.vaddr, 0x401000n);
});

Deno.test("elf layout of a static binary: no interpreter", () => {
  const l = parseElfLayout(read("elf_static.txt"));
  assert.equal(l.type, "EXEC");
  assert.equal(l.interpreter, null);
  assert.equal(isStatic(l), true);
  assert.equal(codeSegment(l)?.filesz, 0x78141n);
});

Deno.test("elf layout of a stripped binary: neither debug lines nor symbols", () => {
  const l = parseElfLayout(read("elf_stripped.txt"));
  assert.equal(l.debugLines, false);
  assert.equal(l.symbols, false);
});

Deno.test("elf layout picks the lowest of several executable segments", () => {
  const l = parseElfLayout([
    "Elf file type is DYN (Shared object file)",
    "  LOAD 0x003000 0x0000000000005000 0x0000000000005000 0x000100 0x000100 R E 0x1000",
    "  LOAD 0x001000 0x0000000000002000 0x0000000000002000 0x000100 0x000100 R E 0x1000",
  ].join("\n"));
  assert.equal(codeSegment(l)?.vaddr, 0x2000n);
});

Deno.test("elf layout of something that is not an executable throws a SyntaxError", () => {
  assert.throws(() => parseElfLayout("readelf: Error: Not an ELF file\n"), SyntaxError);
});
