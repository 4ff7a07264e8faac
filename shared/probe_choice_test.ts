/** Tests of the probe choice, the probes' limits and the kprobe argument's meaning. */

import assert from "node:assert/strict";
import { chooseProbe, kprobeOptsArg, probeLimits } from "./probe_choice.ts";

const BOTH = { tracepoint: true, kprobe: true };
const TP = { tracepoint: true, kprobe: false };
const KP = { tracepoint: false, kprobe: true };
const NONE = { tracepoint: false, kprobe: false };

Deno.test("chooseProbe prefers the tracepoint in auto mode and falls back to the kprobe", () => {
  assert.equal(chooseProbe("auto", BOTH), "tracepoint");
  assert.equal(chooseProbe("auto", TP), "tracepoint");
  assert.equal(chooseProbe("auto", KP), "kprobe");
});

Deno.test("chooseProbe honours an explicit request when the kernel supports it", () => {
  assert.equal(chooseProbe("kprobe", BOTH), "kprobe");
  assert.equal(chooseProbe("tracepoint", BOTH), "tracepoint");
});

Deno.test("chooseProbe explains what is missing", () => {
  assert.deepEqual(chooseProbe("tracepoint", KP), {
    error: "This kernel has no capability:cap_capable tracepoint (it appeared in Linux 6.14)",
  });
  assert.deepEqual(chooseProbe("kprobe", TP), {
    error: "This kernel cannot put a kprobe on cap_capable (no CONFIG_KPROBES, or the symbol is missing)",
  });
  assert.deepEqual(chooseProbe("auto", NONE), {
    error: "This kernel has neither the capability:cap_capable tracepoint nor kprobes on cap_capable",
  });
});

Deno.test("probeLimits says what each probe cannot see", () => {
  assert.deepEqual(probeLimits("tracepoint", "x86_64"), ["audit flags inferred from the kernel caller"]);
  assert.deepEqual(probeLimits("kprobe", "x86_64"), ["checks paired with their result by thread in user space"]);
  assert.deepEqual(probeLimits("tracepoint", "aarch64"), [
    "audit flags inferred from the kernel caller",
    "syscall and call site not read on aarch64",
  ]);
});

Deno.test("kprobeOptsArg trusts the BTF parameter name first", () => {
  assert.equal(kprobeOptsArg("audit", "6.8.0"), "audit");
  assert.equal(kprobeOptsArg("opts", "4.19.0"), "opts");
});

Deno.test("kprobeOptsArg falls back on the kernel version: opts from 5.1", () => {
  assert.equal(kprobeOptsArg(null, "5.1.0"), "opts");
  assert.equal(kprobeOptsArg(null, "5.0.21"), "audit");
  assert.equal(kprobeOptsArg(null, "4.19.0-25-amd64"), "audit");
  assert.equal(kprobeOptsArg(null, "5.10.0-28-cloud-amd64"), "opts");
  assert.equal(kprobeOptsArg(null, "6.18.44-fc-v669"), "opts");
  assert.equal(kprobeOptsArg("cap", "3.10.0"), "audit");
});

Deno.test("kprobeOptsArg assumes a modern kernel when the release cannot be read", () => {
  assert.equal(kprobeOptsArg(null, "unknown"), "opts");
});
