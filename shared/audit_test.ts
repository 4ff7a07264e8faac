/** Tests of the CAP_OPT_* flags and their inference from kernel stacks. */

import assert from "node:assert/strict";
import { CAP_OPT_INSETID, CAP_OPT_NOAUDIT, frameOpts, isAudited, optsFromStack } from "./audit.ts";

Deno.test("CAP_OPT constants match the kernel's bits", () => {
  assert.equal(CAP_OPT_NOAUDIT, 2);
  assert.equal(CAP_OPT_INSETID, 4);
});

Deno.test("optsFromStack finds no flags for a plain capable() stack", () => {
  assert.equal(optsFromStack(["cap_capable+131", "security_capable+59", "capable+64", "chown_ok+120"]), 0);
  assert.equal(optsFromStack([]), 0);
});

Deno.test("optsFromStack infers no-audit from each no-audit caller", () => {
  for (
    const fn of [
      "security_vm_enough_memory_mm",
      "ns_capable_noaudit",
      "has_ns_capability_noaudit",
      "has_capability_noaudit",
    ]
  ) {
    assert.equal(optsFromStack(["cap_capable+131", `${fn}+54`, "x+1"]), CAP_OPT_NOAUDIT, fn);
  }
});

Deno.test("optsFromStack infers insetid from ns_capable_setid", () => {
  assert.equal(optsFromStack(["cap_capable+131", "security_capable+59", "ns_capable_setid+45"]), CAP_OPT_INSETID);
});

Deno.test("optsFromStack matches whole function names only", () => {
  assert.equal(optsFromStack(["my_ns_capable_noaudit_wrapper+5", "ns_capable_setid_x+1"]), 0);
  assert.equal(optsFromStack(["ns_capable_noaudit"]), CAP_OPT_NOAUDIT);
});

Deno.test("optsFromStack combines both flags", () => {
  assert.equal(optsFromStack(["ns_capable_setid+45", "ns_capable_noaudit+3"]), 6);
});

Deno.test("isAudited is false exactly when CAP_OPT_NOAUDIT is set", () => {
  assert.equal(isAudited(0), true);
  assert.equal(isAudited(4), true);
  assert.equal(isAudited(2), false);
  assert.equal(isAudited(6), false);
});

Deno.test("frameOpts reads frames as bpftrace indents them, and odd ones as trimmed", () => {
  assert.equal(frameOpts("        ns_capable_setid+45"), CAP_OPT_INSETID);
  assert.equal(frameOpts("        security_vm_enough_memory_mm+54"), CAP_OPT_NOAUDIT);
  assert.equal(frameOpts("        security_capable+59"), 0);
  assert.equal(frameOpts("        ptracer_capable+54"), CAP_OPT_NOAUDIT);
  assert.equal(frameOpts("        ns_capable_noaudit"), CAP_OPT_NOAUDIT);
  assert.equal(frameOpts("\tns_capable_noaudit+1  "), CAP_OPT_NOAUDIT);
  assert.equal(frameOpts("  ns_capable_noaudit  "), CAP_OPT_NOAUDIT);
  assert.equal(frameOpts("\u00a0has_capability_noaudit+2"), CAP_OPT_NOAUDIT);
  assert.equal(frameOpts("  ns_capable_noaudit_x+1"), 0);
  assert.equal(frameOpts("  ns_capable_noaudit x+1"), 0);
  assert.equal(frameOpts(""), 0);
  assert.equal(frameOpts("        "), 0);
});
