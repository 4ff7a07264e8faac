/** Tests of ProgramUsage: charging checks to the program that made them, across execs. */

import assert from "node:assert/strict";
import { ProgramUsage } from "./program_usage.ts";

const A = { path: "/bin/a", script: false };
const B = { path: "/bin/b", script: false };
const C = { path: "/bin/c", script: false };

Deno.test("ProgramUsage charges checks before each exec to the program run until then, the rest to the last", () => {
  const u = new ProgramUsage();
  assert.equal(u.check(5, 38), true, "a new pid");
  assert.equal(u.check(5, 7), false);
  u.check(5, 0, false); // not counted (no-audit, or allowed in another namespace)
  u.exec(5, A);
  u.check(5, 7);
  u.check(5, 39);
  u.exec(5, B);
  u.check(5, 12);
  const shares = [...u.shares()].map((s) => [s.file.path, [...s.caps].sort((x, y) => x - y)]);
  assert.deepEqual(shares, [["/bin/a", [7, 38]], ["/bin/b", [7, 39]]]);
  // The kernel's counts by pid at the end; C is what pid 5 runs then.
  assert.equal(u.chargeTo(5, 12, C), C, "checked after the last exec");
  assert.equal(u.chargeTo(5, 38, C), null, "charged to A already");
  assert.equal(u.chargeTo(5, 0, C), C, "never counted in the stream (lost, or not shown): by pid");
  assert.equal(u.chargeTo(6, 38, C), C, "a pid the stream never showed");
});

Deno.test("ProgramUsage charges nothing at an exec with no counted check before it", () => {
  const u = new ProgramUsage();
  u.check(9, 21, false);
  u.exec(9, A);
  u.exec(10, A);
  assert.deepEqual([...u.shares()], []);
});

Deno.test("ProgramUsage keeps how broad capabilities stood, per program", () => {
  const u = new ProgramUsage();
  u.role(A, 21, "fallback");
  u.role(B, 21, "alone");
  u.role(A, 1, "alone");
  const shares = [...u.shares()].map((s) => [s.file.path, [...s.alone], [...s.fallback]]);
  assert.deepEqual(shares, [["/bin/a", [1], [21]], ["/bin/b", [21], []]]);
});

Deno.test("ProgramUsage charges a process's checks at its exit, and a later process with its pid afresh", () => {
  const u = new ProgramUsage();
  u.check(20, 0); // chown, which exits
  u.exited(20, A);
  assert.equal(u.check(20, 24), true, "the pid's next check is a new process's first");
  assert.deepEqual([...u.shares()].map((s) => [s.file.path, [...s.caps]]), [["/bin/a", [0]]]);
  assert.equal(u.chargeTo(20, 24, B), B, "the new process's, to what it runs at the end");
  assert.equal(u.chargeTo(20, 0, B), null, "the old process's, charged at its exit");
});

Deno.test("ProgramUsage charges what came before an exec to the last program too when the stream is incomplete", () => {
  const u = new ProgramUsage();
  u.check(30, 24);
  u.exec(30, A); // the program's own check of 24 was held back (--unique) or lost
  u.complete = false;
  assert.equal(u.chargeTo(30, 24, B), B);
});

Deno.test("ProgramUsage follows no pid a kernel cannot give, and charges nothing for it", () => {
  const u = new ProgramUsage();
  u.check(1, 0); // slot 0 holds pid 1's bits
  for (const bad of [-1, 2 ** 31]) {
    assert.equal(u.check(bad, 24), false);
    u.exec(bad, A);
    u.exited(bad, A);
    assert.equal(u.chargeTo(bad, 24, B), B);
  }
  assert.deepEqual([...u.shares()], [], "pid 1's bits were not charged for -1");
});

Deno.test("ProgramUsage gives a check read after its process's exec or exit, but made before, to the program then", () => {
  const u = new ProgramUsage();
  u.check(5, 7);
  u.exec(5, A, 2000); // A ran until 2000, B since
  assert.equal(u.earlier(5, 2500), null, "made after the exec");
  assert.equal(u.earlier(5, 1800)?.file, A, "made before it, read late from another CPU");
  u.late(5, 13, A);
  u.exited(5, B, 3000);
  assert.equal(u.earlier(5, 2900)?.file, B, "made before the exit, read after it");
  assert.equal(u.earlier(5, 1900)?.file, A, "made before the exec, read after the exit too");
  u.late(5, 12, B);
  assert.equal(u.earlier(6, 1), null, "a pid with no exec or exit shown");
  // Charged to A and B as they came: the kernel's counts for pid 5 at the end go to nobody else.
  const shares = [...u.shares()].map((s) => [s.file.path, [...s.caps].sort((x, y) => x - y)]);
  assert.deepEqual(shares, [["/bin/a", [7, 13]], ["/bin/b", [12]]]);
  for (const cap of [7, 12, 13]) assert.equal(u.chargeTo(5, cap, C), null, `cap ${cap}`);
  // A later process with pid 5 is another: its checks come after the exit.
  assert.equal(u.check(5, 21), true);
  assert.equal(u.earlier(5, 3100), null);
  assert.equal(u.chargeTo(5, 21, C), C);
});

Deno.test("ProgramUsage notes the exec of a pid that made no check yet, for a check of it read late", () => {
  const u = new ProgramUsage();
  u.exec(9, A, 500);
  assert.equal(u.earlier(9, 400)?.file, A);
  u.late(9, 0, A);
  assert.deepEqual([...u.shares()].map((s) => [s.file.path, [...s.caps]]), [["/bin/a", [0]]]);
  assert.equal(u.chargeTo(9, 0, B), null);
  // Likewise for the exit of a pid that made no check yet: a check after it is a new process's.
  u.exited(11, A, 700, false);
  assert.deepEqual(u.earlier(11, 600), { ts: 700, file: null, exit: true }, "its parent's program, not known then");
  u.late(11, 0, B);
  assert.equal(u.check(11, 21), true, "a new process");
});

Deno.test("ProgramUsage says whether a pid turned after a time, for a fork record read after the child's exec", () => {
  const u = new ProgramUsage();
  assert.equal(u.turnedAfter(7, 100), false);
  u.exec(7, A, 150);
  assert.equal(u.turnedAfter(7, 100), true, "its exec came after the fork");
  assert.equal(u.turnedAfter(7, 200), false, "a later fork: a new process with the pid");
});

Deno.test("ProgramUsage lists what processes not seen to exit checked since their last exec, with their pids", () => {
  const u = new ProgramUsage();
  u.check(7, 24);
  u.exec(7, A); // charged to A at the exec
  u.check(7, 0);
  u.check(7, 40); // the second word of bits
  u.check(8, 21);
  u.exited(8, B); // charged to B at the exit
  u.check(9, 13, false); // not counted
  for (let pid = 100; pid < 200; pid++) u.check(pid, 12); // the slots' arrays grow
  const left = [...u.uncharged()];
  assert.deepEqual(left[0], { pid: 7, caps: [0, 40] });
  assert.equal(left.length, 101);
  assert.deepEqual(left.at(-1), { pid: 199, caps: [12] });
});
