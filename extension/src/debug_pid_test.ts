import assert from "node:assert/strict";
import { pidFromAttachConfig, pidFromDapMessage, remoteSetting } from "./debug_pid.ts";

Deno.test("a debuggee that is not local has no pid here: a process event saying so, or a remote configuration", () => {
  const event = { type: "event", event: "process", body: { systemProcessId: 1, isLocalProcess: false } };
  assert.equal(pidFromDapMessage(event), null);
  assert.equal(pidFromDapMessage({ ...event, body: { systemProcessId: 7, isLocalProcess: true } }), 7);
  // debugpy in a container, node on another host, cppdbg through gdbserver or a pipe.
  assert.equal(remoteSetting({ request: "attach", connect: { host: "localhost", port: 5678 } }), "connect");
  assert.equal(remoteSetting({ request: "attach", address: "10.0.0.2", port: 9229 }), "address");
  assert.equal(remoteSetting({ request: "launch", miDebuggerServerAddress: "box:2345" }), "miDebuggerServerAddress");
  assert.equal(remoteSetting({ request: "attach", pipeTransport: { pipeProgram: "ssh" } }), "pipeTransport");
  assert.equal(remoteSetting({ request: "launch", program: "${workspaceFolder}/a.out", host: "" }), null);
  assert.equal(remoteSetting({ request: "attach", processId: 42 }), null);
});

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
