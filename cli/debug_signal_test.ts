/** Tests of the SIGUSR1 guard's reading of /proc/self/status. */

import assert from "node:assert/strict";
import { catches, ignoreDebugSignal } from "./debug_signal.ts";

Deno.test("catches reads a signal's bit in SigCgt, and nothing elsewhere", () => {
  // SIGHUP, SIGINT, SIGUSR1 (bit 9), SIGSEGV, SIGTERM, and a real-time signal (bit 32).
  const status = "Name:\tdeno\nSigIgn:\t0000000000001000\nSigCgt:\t0000000100004603\n";
  assert.deepEqual([1, 2, 10, 11, 15, 33].map((sig) => catches(status, sig)), [true, true, true, true, true, true]);
  assert.deepEqual([3, 12, 13, 14].map((sig) => catches(status, sig)), [false, false, false, false]);
  assert.equal(catches("Name:\tdeno\n", 10), false);
});

Deno.test("ignoreDebugSignal ignores SIGUSR1 at once, here", async () => {
  const stop = ignoreDebugSignal((why) => assert.fail(why));
  try {
    const ign = /^SigIgn:\s*([0-9a-f]+)$/m.exec(await Deno.readTextFile("/proc/self/status"))![1]!;
    assert.equal((BigInt("0x" + ign) >> 9n) & 1n, 1n, `SigIgn ${ign}`);
  } finally {
    stop();
  }
});
