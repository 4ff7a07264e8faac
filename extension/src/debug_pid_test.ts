import assert from "node:assert/strict";
import { pidFromAttachConfig, pidFromDapMessage } from "./debug_pid.ts";

Deno.test("debug pid comes from a DAP process event's systemProcessId", () => {
  assert.equal(
    pidFromDapMessage({
      type: "event",
      event: "process",
      body: { name: "a.out", systemProcessId: 4242 },
    }),
    4242,
  );
});

Deno.test("debug pid ignores other DAP messages and process events without a usable pid", () => {
  for (
    const m of [
      { type: "event", event: "output", body: { systemProcessId: 1 } },
      { type: "response", command: "launch" },
      { type: "event", event: "process", body: { name: "remote" } },
      { type: "event", event: "process", body: { systemProcessId: "12" } },
      { type: "event", event: "process", body: { systemProcessId: -1 } },
      null,
      "process",
    ]
  ) assert.equal(pidFromDapMessage(m), null, JSON.stringify(m));
});

Deno.test("debug pid comes from an attach configuration's processId, numeric or numeric string", () => {
  assert.equal(pidFromAttachConfig({ request: "attach", processId: 77 }), 77);
  assert.equal(pidFromAttachConfig({ request: "attach", processId: "78" }), 78);
  assert.equal(
    pidFromAttachConfig({
      request: "attach",
      processId: "${command:pickProcess}",
    }),
    null,
  );
  assert.equal(pidFromAttachConfig({ request: "launch", processId: 77 }), null);
});
