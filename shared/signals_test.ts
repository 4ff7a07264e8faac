/** Tests of signal names by number and back. */

import assert from "node:assert/strict";
import { signalName, signalNumber } from "./signals.ts";

Deno.test("signalName names the standard signals", () => {
  assert.equal(signalName(1), "SIGHUP");
  assert.equal(signalName(2), "SIGINT");
  assert.equal(signalName(9), "SIGKILL");
  assert.equal(signalName(11), "SIGSEGV");
  assert.equal(signalName(15), "SIGTERM");
  assert.equal(signalName(17), "SIGCHLD");
  assert.equal(signalName(31), "SIGSYS");
});

Deno.test("signalName shows real-time and unknown numbers as SIG<n>", () => {
  assert.equal(signalName(0), "SIG0");
  assert.equal(signalName(34), "SIG34");
  assert.equal(signalName(64), "SIG64");
});

Deno.test("signalNumber reverses signalName for every standard signal", () => {
  for (let n = 1; n <= 31; n++) assert.equal(signalNumber(signalName(n)), n);
});

Deno.test("signalNumber gives null for names it does not know", () => {
  assert.equal(signalNumber(""), null);
  assert.equal(signalNumber("SIGFOO"), null);
  assert.equal(signalNumber("TERM"), null);
  assert.equal(signalNumber("SIG34"), null);
});
