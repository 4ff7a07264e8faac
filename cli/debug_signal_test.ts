/** Tests of the SIGUSR1 guard: the signal is caught and harmless here, and at its default in the programs started. */

import assert from "node:assert/strict";
import { ignoreDebugSignal } from "./debug_signal.ts";
import { catches, ignores } from "./procfs.ts";

Deno.test("catches and ignores read a signal's bit in SigCgt and SigIgn, and nothing elsewhere", () => {
  // SIGHUP, SIGINT, SIGUSR1 (bit 9), SIGSEGV, SIGTERM, and a real-time signal (bit 32).
  const status = "Name:\tdeno\nSigIgn:\t0000000000001000\nSigCgt:\t0000000100004603\n";
  assert.deepEqual([1, 2, 10, 11, 15, 33].map((sig) => catches(status, sig)), [true, true, true, true, true, true]);
  assert.deepEqual([3, 12, 13, 14].map((sig) => catches(status, sig)), [false, false, false, false]);
  assert.deepEqual([13, 10].map((sig) => ignores(status, sig)), [true, false]);
  assert.equal(catches("Name:\tdeno\n", 10), false);
});

Deno.test("ignoreDebugSignal: SIGUSR1 is caught and harmless here, and at its default in a program started", async () => {
  const stop = ignoreDebugSignal((why) => assert.fail(why));
  try {
    const status = await Deno.readTextFile("/proc/self/status");
    assert.deepEqual([catches(status, 10), ignores(status, 10)], [true, false]);
    Deno.kill(Deno.pid, "SIGUSR1");
    await new Promise((r) => setTimeout(r, 50)); // still here
    const child = await new Deno.Command("/bin/sh", { args: ["-c", "cat /proc/self/status"] }).output();
    const theirs = new TextDecoder().decode(child.stdout);
    assert.deepEqual([catches(theirs, 10), ignores(theirs, 10)], [false, false], theirs);
  } finally {
    stop();
  }
});
