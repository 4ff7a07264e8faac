/** Tests of the v1 schema check on summaries' recommendation programs, a field added within v1. */

import assert from "node:assert/strict";
import { validateEvent } from "./validate_event.ts";

function summary(programs?: unknown): Record<string, unknown> {
  const recommendation: Record<string, unknown> = {
    capabilities: [],
    narrowed: [],
    setcap: "setcap -r /bin/true",
    systemd: "",
    docker: "",
    compose: "",
    kubernetes: "",
    note: "",
  };
  if (programs !== undefined) recommendation.programs = programs;
  return {
    v: 1,
    type: "summary",
    capabilities: [],
    recommendation,
    totals: { seen: 0, shown: 0, hidden: 0, lost: 0, malformed: 0, unsummarized: 0 },
    probe: "tracepoint",
    limits: [],
  };
}

Deno.test("validateEvent accepts a summary with or without recommendation.programs, and checks it when present", () => {
  assert.deepEqual(validateEvent(summary()), [], "written before the field existed");
  assert.deepEqual(validateEvent(summary([{ path: "/x", script: false, interpreter: false, capabilities: [] }])), []);
  assert.deepEqual(validateEvent(summary("no")), ["summary.recommendation.programs: expected array"]);
  assert.deepEqual(validateEvent(summary([{ path: "/x", capabilities: [] }])), [
    "summary.recommendation.programs[0]: expected {path, script, interpreter, capabilities}",
  ]);
});

Deno.test("validateEvent accepts a program's placed absent or a boolean", () => {
  const program = { path: "./x", script: false, interpreter: false, capabilities: [] };
  assert.deepEqual(validateEvent(summary([{ ...program, placed: false }])), []);
  assert.deepEqual(validateEvent(summary([{ ...program, placed: "no" }])), [
    "summary.recommendation.programs[0].placed: expected bool",
  ]);
});

Deno.test("validateEvent accepts a program's deleted absent or true, and nothing else", () => {
  const program = { path: "/tmp/go-build1/exe/x", script: false, interpreter: false, capabilities: [] };
  assert.deepEqual(validateEvent(summary([{ ...program, deleted: true }])), []);
  for (const deleted of [false, "yes", 1]) {
    assert.deepEqual(validateEvent(summary([{ ...program, deleted }])), [
      "summary.recommendation.programs[0].deleted: expected true or absent",
    ]);
  }
});

Deno.test("validateEvent accepts a program's mount_ns absent, null or an inode number, and nothing else", () => {
  const program = { path: "/x", script: false, interpreter: false, capabilities: [] };
  for (const mount_ns of [undefined, null, 4026532177]) {
    assert.deepEqual(validateEvent(summary([{ ...program, mount_ns }])), [], String(mount_ns));
  }
  for (const mount_ns of ["4026532177", 0, 1.5]) {
    assert.deepEqual(validateEvent(summary([{ ...program, mount_ns }])), [
      "summary.recommendation.programs[0].mount_ns: expected null or a positive integer",
    ]);
  }
});

Deno.test("validateEvent accepts events written before the fields added within v1, and checks them when present", () => {
  const ready = {
    v: 1,
    type: "ready",
    probe: "tracepoint",
    kernel: "",
    bpftrace: "",
    mode: "system",
    pid: null,
    limits: [],
  };
  assert.deepEqual(validateEvent(ready), [], "without cgroup");
  assert.deepEqual(validateEvent({ ...ready, cgroup: "/a" }), []);
  assert.deepEqual(validateEvent({ ...ready, cgroup: 5 }), ["ready.cgroup: expected str?, got 5"]);
  assert.deepEqual(validateEvent({ ...ready, pid: undefined }).length, 1, "the others stay required");
});

Deno.test("validateEvent accepts a check outside a syscall (syscall_abi null) and refuses an unknown abi", () => {
  const check = {
    v: 1,
    type: "check",
    ts: 0,
    time: "2026-01-02T03:04:05.000Z",
    pid: 10,
    tid: 11,
    ppid: 1,
    uid: 0,
    euid: 0,
    comm: "iou-wrk-10",
    cap: 1,
    cap_name: "cap_dac_override",
    ret: 0,
    verdict: "allowed",
    errno: null,
    syscall: null,
    syscall_name: null,
    syscall_abi: null,
    opts: 0,
    audit: true,
    insetid: false,
    opts_source: "inferred",
    userns: null,
    target_userns: null,
    site: null,
    site_reason: null,
    script: null,
  };
  assert.deepEqual(validateEvent(check), []);
  assert.deepEqual(validateEvent({ ...check, syscall: 2, syscall_name: "open", syscall_abi: "arm64" }), [
    'check.syscall_abi: "arm64" is not one of x86_64, i386, x32',
  ]);
});
