/** Tests of reading a process's state from /proc/PID/status. */

import assert from "node:assert/strict";
import { foregroundFromStat, stateFromStatus } from "./procfs.ts";

Deno.test("stateFromStatus tells a running process, a zombie and a thread of another process apart", () => {
  assert.deepEqual(stateFromStatus(10, "Name:\tsleep\nState:\tS (sleeping)\nTgid:\t10\nPid:\t10\n"), { kind: "alive" });
  assert.deepEqual(stateFromStatus(11, "Name:\tsleep\nState:\tZ (zombie)\nTgid:\t11\nPid:\t11\n"), { kind: "zombie" });
  assert.deepEqual(stateFromStatus(11, "Name:\tsleep\nState:\tX (dead)\nTgid:\t11\n"), { kind: "zombie" });
  assert.deepEqual(stateFromStatus(13, "Name:\tworker\nState:\tR (running)\nTgid:\t12\nPid:\t13\n"), {
    kind: "thread",
    tgid: 12,
  });
});

Deno.test("foregroundFromStat: the process group is its terminal's foreground group", () => {
  // pid (comm) state ppid pgrp session tty_nr tpgid ...
  assert.equal(foregroundFromStat("7 (a b) S 1 7 7 34816 7 4194560 0"), true);
  assert.equal(foregroundFromStat("7 (sh) S 1 7 7 34816 9 4194560 0"), false, "a background job");
  assert.equal(foregroundFromStat("7 (x) S 1 7 7 0 -1 4194560 0"), false, "no terminal");
});
