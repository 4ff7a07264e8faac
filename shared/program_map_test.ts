/** Tests of ProgramMap: which program each process ran. */

import assert from "node:assert/strict";
import { ProgramMap } from "./program_map.ts";

const ROOT = { path: "/usr/bin/make", script: false };

Deno.test("ProgramMap gives a process the file it executed, and a fork its parent's", () => {
  const m = new ProgramMap(ROOT);
  m.exec(10, 1, { path: "/opt/run.sh", script: true });
  m.exec(11, 10, { path: "/usr/bin/ping", script: false });
  m.parent(12, 11);
  m.parent(13, 12);
  assert.deepEqual(m.programOf(10), { path: "/opt/run.sh", script: true });
  assert.equal(m.programOf(11).path, "/usr/bin/ping");
  assert.equal(m.programOf(13).path, "/usr/bin/ping", "a fork of a fork of ping runs ping");
});

Deno.test("ProgramMap falls back to the root's program for a process it knows nothing of", () => {
  const m = new ProgramMap(ROOT);
  m.parent(20, 19);
  assert.equal(m.programOf(20), ROOT);
  assert.equal(m.programOf(99), ROOT);
});

Deno.test("ProgramMap keeps a process's last exec, and its first parent", () => {
  const m = new ProgramMap(ROOT);
  m.parent(30, 5);
  m.exec(5, 1, { path: "/bin/a", script: false });
  m.exec(30, 7, { path: "/bin/sh", script: false });
  m.exec(30, 7, { path: "/bin/chown", script: false });
  assert.equal(m.programOf(30).path, "/bin/chown");
  m.parent(31, 30);
  assert.equal(m.programOf(31).path, "/bin/chown");
  // Reparented (its parent died): the program it forked from is still the first parent's.
  m.parent(32, 5);
  m.parent(32, 1);
  assert.equal(m.programOf(32).path, "/bin/a");
});

Deno.test("ProgramMap ignores a process as its own parent and stops on a loop of parents", () => {
  const m = new ProgramMap(ROOT);
  m.parent(40, 40);
  m.parent(41, 42);
  m.parent(42, 41);
  assert.equal(m.programOf(40), ROOT);
  assert.equal(m.programOf(41), ROOT, "a loop ends at the root's program");
});

Deno.test("ProgramMap forgets the oldest processes beyond its bound", () => {
  const m = new ProgramMap(ROOT);
  m.exec(1_000_000, 0, { path: "/bin/first", script: false });
  for (let pid = 1; pid <= 65536; pid++) m.exec(pid, 1, { path: "/bin/many", script: false });
  assert.equal(m.programOf(1_000_000), ROOT, "the oldest was forgotten");
  assert.equal(m.programOf(65536).path, "/bin/many");
});

Deno.test("ProgramMap starts afresh for a pid used again after its process exited", () => {
  const m = new ProgramMap(ROOT);
  m.exec(50, 1, { path: "/bin/old", script: false });
  m.exited(50);
  assert.equal(m.programOf(50).path, "/bin/old", "an exited process keeps its program for its checks");
  m.parent(50, 60); // a new process with the same pid, forked by 60
  m.exec(60, 1, { path: "/bin/new-parent", script: false });
  assert.equal(m.programOf(50).path, "/bin/new-parent");
});

Deno.test("ProgramMap evicts in insertion order however many were evicted before", () => {
  const m = new ProgramMap(ROOT);
  for (let pid = 1; pid <= 3 * 65536; pid++) m.exec(pid, 0, { path: `/bin/p${pid % 7}`, script: false });
  assert.equal(m.programOf(2 * 65536), ROOT, "evicted");
  assert.equal(m.programOf(2 * 65536 + 1).path, `/bin/p${(2 * 65536 + 1) % 7}`);
});

Deno.test("ProgramMap ignores pids no kernel gives, from bad tracer input", () => {
  const m = new ProgramMap(ROOT);
  for (const bad of [-1, 0, 2 ** 31, 1.5, NaN]) {
    m.exec(bad, 1, { path: "/bin/bad", script: false });
    m.parent(bad, 1);
    m.exited(bad);
    m.parent(70, bad);
  }
  m.exec(71, 1, { path: "/bin/good", script: false });
  m.parent(72, 71);
  assert.equal(m.programOf(72).path, "/bin/good");
  assert.equal(m.programOf(70), ROOT, "no parent was recorded from a bad ppid");
  assert.equal(m.programOf(-1), ROOT);
});

Deno.test("ProgramMap takes a fork record's parent over what an earlier process with the pid ran", () => {
  const m = new ProgramMap(ROOT);
  m.exec(20, 1, { path: "/usr/bin/ping", script: false });
  m.exec(30, 1, { path: "/usr/sbin/nginx", script: false });
  // pid 20 used again, its old process's exit not seen: a fork of nginx now.
  m.forked(20, 30);
  assert.equal(m.programOf(20).path, "/usr/sbin/nginx");
  assert.equal(m.knows(20), true);
  assert.equal(m.knows(21), false);
});

Deno.test("ProgramMap names the program of each mark: an exec's time, or a process's pid at the start", () => {
  const m = new ProgramMap(ROOT);
  const script = { path: "/opt/run.sh", script: true };
  const chown = { path: "/usr/bin/chown", script: false };
  m.mark(5_000_000_000, script);
  m.exec(10, 1, script);
  m.mark(9_000_000_000, chown);
  m.exec(10, 1, chown); // the script's `exec chown`
  assert.equal(m.programMarked(5_000_000_000), script, "still the script's, though pid 10 runs chown now");
  assert.equal(m.programMarked(9_000_000_000), chown);
  m.mark(77, { path: "/usr/sbin/sshd", script: false }); // running when the trace began, as pid 77
  assert.equal(m.programMarked(77)?.path, "/usr/sbin/sshd");
  assert.equal(m.programMarked(78), undefined);
  // Two execs in one nanosecond (two CPUs): neither is named.
  m.mark(7_000_000_000, { path: "/bin/a", script: false });
  m.mark(7_000_000_000, { path: "/bin/b", script: false });
  assert.equal(m.programMarked(7_000_000_000), undefined);
});

Deno.test("ProgramMap keeps the latest 131,072 exec marks, and every running process's", () => {
  const m = new ProgramMap(ROOT);
  const T = 5_000_000_000; // exec times, in ns since boot; marks up to 2^22 are pids
  m.mark(77, { path: "/usr/sbin/sshd", script: false });
  for (let i = 1; i <= 140_000; i++) m.mark(T + i, { path: `/bin/p${i}`, script: false });
  assert.equal(m.programMarked(T + 1), undefined, "forgotten");
  assert.equal(m.programMarked(T + 140_000)?.path, "/bin/p140000");
  assert.equal(m.programMarked(T + 140_000 - 131_071)?.path, `/bin/p${140_000 - 131_071}`);
  assert.equal(m.programMarked(T + 140_000 - 131_072), undefined);
  assert.equal(m.programMarked(77)?.path, "/usr/sbin/sshd", "a running process's mark is never forgotten");
});

Deno.test("ProgramMap gives a forked process the program its fork record marks, whatever its parent ran later", () => {
  const m = new ProgramMap(ROOT);
  const script = { path: "/opt/run.sh", script: true };
  m.mark(5_000_000_000, script);
  m.exec(10, 1, script);
  m.forked(11, 10, 5_000_000_000); // a subshell
  m.mark(6_000_000_000, { path: "/usr/bin/chown", script: false });
  m.exec(10, 1, { path: "/usr/bin/chown", script: false }); // then the script's `exec chown`
  assert.equal(m.programOf(11).path, "/opt/run.sh");
  assert.equal(m.programOf(10).path, "/usr/bin/chown");
  // Its child, marked alike, too; and the subshell's own exec counts over the mark.
  m.forked(12, 11, 5_000_000_000);
  assert.equal(m.programOf(12).path, "/opt/run.sh");
  m.exec(11, 10, { path: "/bin/true", script: false });
  assert.equal(m.programOf(11).path, "/bin/true");
  // The parent's exec read after the fork that came after it (two CPUs' buffers): the mark is resolved when asked.
  m.forked(21, 20, 8_000_000_000);
  m.mark(8_000_000_000, { path: "/usr/bin/ping", script: false });
  assert.equal(m.programOf(21).path, "/usr/bin/ping");
  // Known at the fork, it stays the child's once forgotten (a long trace of many execs).
  m.mark(9_000_000_000, { path: "/usr/bin/env", script: false });
  m.forked(31, 30, 9_000_000_000);
  for (let i = 1; i <= 131_072; i++) m.mark(9_000_000_000 + i, { path: "/bin/true", script: false });
  assert.equal(m.programMarked(9_000_000_000), undefined);
  assert.equal(m.programOf(31).path, "/usr/bin/env");
  // A mark not known: its parent's program, as without marks.
  m.exec(40, 1, { path: "/usr/bin/make", script: false });
  m.forked(41, 40, 7_777_000_000);
  assert.equal(m.programOf(41).path, "/usr/bin/make");
});

Deno.test("ProgramMap keeps what processes executed while a server forks many workers that execute nothing", () => {
  const m = new ProgramMap(ROOT);
  m.mark(5_000_000_000, { path: "/usr/sbin/server", script: false });
  m.exec(10, 1, { path: "/usr/sbin/server", script: false });
  for (let pid = 100; pid < 100 + 66_000; pid++) m.forked(pid, 10, 5_000_000_000);
  assert.equal(m.programOf(10).path, "/usr/sbin/server");
  assert.equal(m.knows(10), true);
  assert.equal(m.programOf(100 + 65_999).path, "/usr/sbin/server");
});
