import assert from "node:assert/strict";
import { inspectorPort, isLoopback, pidFromAttachConfig, pidFromDapMessage, remoteSetting } from "./debug_pid.ts";

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

Deno.test("an attach to this machine's inspector port is local: its debuggee is the process listening there", () => {
  // The JavaScript debugger fills in address "localhost" for an attach by port.
  const attach = { type: "node", request: "attach", port: 9339, address: "localhost" };
  assert.equal(remoteSetting(attach), null);
  assert.equal(inspectorPort(attach), 9339);
  assert.equal(inspectorPort({ ...attach, type: "pwa-node", port: "9340", address: "127.0.0.1" }), 9340);
  assert.equal(remoteSetting({ ...attach, address: "[::1]" }), null);
  // Another host, a container's files, a pid given, a launch, another debugger: not by port.
  assert.equal(inspectorPort({ ...attach, address: "10.0.0.2" }), null);
  assert.equal(inspectorPort({ ...attach, remoteRoot: "/app" }), null);
  assert.equal(inspectorPort({ ...attach, processId: 42 }), null);
  assert.equal(inspectorPort({ ...attach, request: "launch" }), null);
  assert.equal(inspectorPort({ ...attach, type: "debugpy" }), null);
  assert.equal(inspectorPort({ ...attach, port: 70000 }), null);
  // Only the JavaScript debugger's: another's host on this machine may be a port forwarded to a container.
  assert.equal(remoteSetting({ type: "debugpy", request: "attach", host: "localhost", port: 5678 }), "host");
  assert.equal(remoteSetting({ type: "node", request: "launch", address: "localhost" }), "address");
  for (const h of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1"]) assert.ok(isLoopback(h), h);
  for (const h of ["localhost.example", "10.0.0.1", "::2", "1127.0.0.1"]) assert.ok(!isLoopback(h), h);
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
