/** Tests of reading a process's state from /proc/PID/status. */

import assert from "node:assert/strict";
import {
  cpuTicks,
  cpuTicksFromStat,
  onOwnFd,
  ppidFromStat,
  sameFile,
  startTime,
  stateFromStatus,
  terminalFromStat,
} from "./procfs.ts";

Deno.test("stateFromStatus tells a running process, a zombie and a thread of another process apart", () => {
  assert.deepEqual(stateFromStatus(10, "Name:\tsleep\nState:\tS (sleeping)\nTgid:\t10\nPid:\t10\n"), { kind: "alive" });
  assert.deepEqual(stateFromStatus(11, "Name:\tsleep\nState:\tZ (zombie)\nTgid:\t11\nPid:\t11\n"), { kind: "zombie" });
  assert.deepEqual(stateFromStatus(11, "Name:\tsleep\nState:\tX (dead)\nTgid:\t11\n"), { kind: "zombie" });
  // Its main thread gone (pthread_exit), two threads still running: alive.
  assert.deepEqual(stateFromStatus(14, "Name:\tw\nState:\tZ (zombie)\nTgid:\t14\nThreads:\t3\n"), { kind: "alive" });
  assert.deepEqual(stateFromStatus(15, "Name:\tw\nState:\tZ (zombie)\nTgid:\t15\nThreads:\t1\n"), { kind: "zombie" });
  assert.deepEqual(stateFromStatus(13, "Name:\tworker\nState:\tR (running)\nTgid:\t12\nPid:\t13\n"), {
    kind: "thread",
    tgid: 12,
  });
});

Deno.test("terminalFromStat reads the process group, terminal and foreground group past an odd comm", () => {
  // pid (comm) state ppid pgrp session tty_nr tpgid ...
  const stat = "4242 (a) b (c)) S 4000 4242 4000 34817 4242 4194560 0 0";
  assert.deepEqual(terminalFromStat(stat), { pgrp: 4242, tty: 34817, tpgid: 4242 });
  assert.deepEqual(terminalFromStat("7 (daemon) S 1 7 7 0 -1 0"), { pgrp: 7, tty: 0, tpgid: -1 });
  assert.equal(terminalFromStat("garbage"), null);
  assert.equal(ppidFromStat(stat), 4000);
  assert.equal(ppidFromStat("garbage"), null);
});

Deno.test("cpuTicksFromStat adds user and system time, past an odd comm", () => {
  const stat = "4242 (a) b (c) S 1 4242 4242 34817 4242 4194304 100 0 0 0 250 17 0 0 20 0 1 0 123 4096 10";
  assert.equal(cpuTicksFromStat(stat), 267);
  assert.equal(cpuTicksFromStat("4242 (x"), null);
  // This process's own time, which a busy loop raises.
  const before = cpuTicks(Deno.pid)!;
  const until = performance.now() + 200;
  while (performance.now() < until) {
    // busy
  }
  assert.ok(cpuTicks(Deno.pid)! > before);
  assert.equal(cpuTicks(2 ** 22 + 1), null, "no such process");
});

Deno.test("startTime tells one process from another given the same pid later, and a gone one", async () => {
  const mine = await startTime(Deno.pid);
  assert.ok(Number.isInteger(mine) && mine! > 0, String(mine));
  assert.equal(await startTime(Deno.pid), mine, "the same process, the same time");
  // A comm with spaces and parentheses does not shift the fields.
  const dir = await Deno.makeTempDir();
  const child = await (async () => {
    await Deno.copyFile("/bin/sleep", `${dir}/x) (y`);
    return new Deno.Command(`${dir}/x) (y`, { args: ["5"] }).spawn();
  })();
  try {
    // Until the child has executed the copy, its comm is deno's.
    const comm = async () => (await Deno.readTextFile(`/proc/${child.pid}/comm`)).trim();
    for (let i = 0; i < 250 && await comm() !== "x) (y"; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await comm(), "x) (y");
    const t = await startTime(child.pid);
    assert.ok(t !== null && t >= mine!, `${t} >= ${mine}`);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
  assert.equal(await startTime(child.pid), null);
  // A zombie has ended: its parent (a sleep exec'd over the shell that started it) never reaps it.
  const parent = new Deno.Command("/bin/sh", { args: ["-c", "/bin/true & exec sleep 5"] }).spawn();
  try {
    let zombie = "";
    for (let i = 0; i < 100 && zombie === ""; i++) {
      await new Promise((r) => setTimeout(r, 20));
      zombie = (await Deno.readTextFile(`/proc/${parent.pid}/task/${parent.pid}/children`).catch(() => "")).trim();
    }
    for (let i = 0; i < 100 && !/\) Z /.test(await Deno.readTextFile(`/proc/${zombie}/stat`)); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(await Deno.readTextFile(`/proc/${zombie}/stat`), /\) Z /);
    assert.equal(await startTime(Number(zombie)), null);
  } finally {
    parent.kill("SIGKILL");
    await parent.status;
  }
});

Deno.test("onOwnFd tells a descriptor's file by device and inode; sameFile needs both known", async () => {
  const path = await Deno.makeTempFile();
  try {
    using file = await Deno.open(path);
    const info = await file.stat();
    const fds = [];
    for await (const e of Deno.readDir("/proc/self/fd")) fds.push(e.name);
    const mine = [];
    for (const fd of fds) if (await onOwnFd(fd, info)) mine.push(fd);
    assert.equal(mine.length, 1, "the descriptor just opened, and no other");
    assert.equal(await onOwnFd(mine[0]!, await Deno.stat("/")), false);
    assert.equal(sameFile(info, null), false);
  } finally {
    await Deno.remove(path);
  }
});
