/** Tests of syscall names by number. */

import assert from "node:assert/strict";
import { I386_SYSCALL, syscallName, syscallOf } from "./syscalls.ts";
import { I386_SYSCALLS } from "./syscalls_i386.ts";
import { X86_64_SYSCALLS } from "./syscalls_x86_64.ts";

Deno.test("syscallName names the x86_64 syscalls captrace meets", () => {
  const spots: [number, string][] = [
    [0, "read"],
    [9, "mmap"],
    [41, "socket"],
    [59, "execve"],
    [92, "chown"],
    [105, "setuid"],
    [117, "setresuid"],
    [126, "capset"],
    [157, "prctl"],
    [260, "fchownat"],
    [272, "unshare"],
    [298, "perf_event_open"],
    [321, "bpf"],
    [435, "clone3"],
  ];
  for (const [nr, name] of spots) assert.equal(syscallName(nr), name, String(nr));
});

Deno.test("syscallName gives null outside a syscall, for holes and past the table", () => {
  assert.equal(syscallName(-1), null);
  assert.equal(syscallName(335), null); // unused between 334 (rseq) and 424 (pidfd_send_signal)
  assert.equal(syscallName(X86_64_SYSCALLS.length), null);
  assert.equal(syscallName(99999), null);
});

Deno.test("syscallName does not guess on other architectures", () => {
  assert.equal(syscallName(260, "aarch64"), null);
  assert.equal(syscallName(260, "x86_64"), "fchownat");
});

Deno.test("x86_64 syscall table holds names or empty holes only", () => {
  for (const n of X86_64_SYSCALLS) assert.match(n, /^([a-z0-9_]+)?$/);
  assert.equal(X86_64_SYSCALLS[334], "rseq");
  assert.equal(X86_64_SYSCALLS[424], "pidfd_send_signal");
});

Deno.test("syscallName names 32-bit syscalls from the i386 table", () => {
  const spots: [number, string][] = [[23, "setuid"], [185, "capset"], [212, "chown32"], [213, "setuid32"], [
    214,
    "setgid32",
  ], [11, "execve"]];
  for (const [nr, name] of spots) assert.equal(syscallName(I386_SYSCALL + nr), name, String(nr));
  assert.deepEqual(syscallOf(I386_SYSCALL + 212), { abi: "i386", nr: 212 });
  assert.deepEqual(syscallOf(212), { abi: "x86_64", nr: 212 });
  assert.equal(syscallName(212), "lookup_dcookie");
  // x32's bit is not i386's: not named from either table.
  assert.equal(syscallName(0x40000000 + 1), null);
  assert.deepEqual(syscallOf(0x40000000 + 1), { abi: "x32", nr: 1 });
  assert.equal(syscallName(I386_SYSCALL + 212, "aarch64"), null);
});

/** The syscall numbers of a kernel UAPI header (asm/unistd_64.h or unistd_32.h). */
async function headerNumbers(name: string): Promise<Map<number, string>> {
  const text = await Deno.readTextFile(`/usr/include/x86_64-linux-gnu/asm/${name}`);
  return new Map([...text.matchAll(/^#define __NR_(\w+)\s+(\d+)\s*$/gm)].map((m) => [Number(m[2]), m[1]!]));
}

Deno.test("the syscall tables agree with this machine's kernel headers, and go on past them", async () => {
  for (const [header, table] of [["unistd_64.h", X86_64_SYSCALLS], ["unistd_32.h", I386_SYSCALLS]] as const) {
    const numbers = await headerNumbers(header);
    assert.ok(numbers.size > 300, header);
    const last = Math.max(...numbers.keys());
    // Every number the header has, named alike; the numbers of newer kernels (from their syscall tables) follow.
    for (let nr = 0; nr <= last; nr++) assert.equal(table[nr], numbers.get(nr) ?? "", `${header} ${nr}`);
    assert.ok(table.length - 1 >= Math.max(last, 470), `${header}: the table goes to ${table.length - 1}`);
  }
  // Newer than these headers: the same numbers in both tables, but for x86_64's shadow stacks.
  assert.deepEqual([X86_64_SYSCALLS[452], I386_SYSCALLS[452]], ["fchmodat2", "fchmodat2"]);
  assert.deepEqual([X86_64_SYSCALLS[453], I386_SYSCALLS[453]], ["map_shadow_stack", ""]);
  assert.deepEqual(X86_64_SYSCALLS.slice(454), I386_SYSCALLS.slice(454));
  assert.equal(X86_64_SYSCALLS[469], "file_setattr");
});
