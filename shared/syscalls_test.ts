/** Tests of syscall names by number. */

import assert from "node:assert/strict";
import { syscallName } from "./syscalls.ts";
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
