/** Tests of reading a process's state from /proc/PID/status. */

import assert from "node:assert/strict";
import { stateFromStatus } from "./procfs.ts";

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
