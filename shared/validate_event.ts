/** Checks that a parsed JSON value is a valid NDJSON v1 event (the schema in NDJSON.md, the types in event.ts). */

import { ADDED_WITHIN_V1, type Event } from "./event.ts";

type Kind = "int" | "num" | "str" | "bool" | "int?" | "str?" | "bool?" | "obj?" | "array";

// Field kinds per event type; every listed field is required (a "?" kind may be null).
const SCHEMA: Record<Event["type"], Record<string, Kind>> = {
  ready: { probe: "str", kernel: "str", bpftrace: "str", mode: "str", pid: "int?", cgroup: "str?", limits: "array" },
  check: {
    ts: "num",
    time: "str",
    pid: "int",
    tid: "int",
    ppid: "int",
    uid: "int",
    euid: "int",
    comm: "str",
    cap: "int",
    cap_name: "str?",
    ret: "int",
    verdict: "str",
    errno: "str?",
    syscall: "int?",
    syscall_name: "str?",
    syscall_abi: "str?",
    opts: "int",
    audit: "bool",
    insetid: "bool",
    opts_source: "str",
    userns: "int?",
    target_userns: "int?",
    site: "obj?",
    site_reason: "str?",
    script: "str?",
  },
  exec: { ts: "num", pid: "int", ppid: "int", comm: "str", filename: "str" },
  exit: { ts: "num", pid: "int", code: "int?", signal: "int?", core_dumped: "bool", root: "bool" },
  lost: { count: "int" },
  summary: { capabilities: "array", recommendation: "obj?", totals: "obj?", probe: "str", limits: "array" },
  error: { message: "str", hint: "str?", exit_code: "int?" },
};

const ENUMS: Record<string, readonly string[]> = {
  syscall_abi: ["x86_64", "i386", "x32"],
  probe: ["tracepoint", "kprobe"],
  mode: ["command", "pid", "system"],
  verdict: ["allowed", "denied"],
  opts_source: ["read", "inferred"],
};

function _is(kind: Kind, v: unknown): boolean {
  const nullable = kind.endsWith("?");
  if (nullable && v === null) return true;
  switch (kind.replace("?", "")) {
    case "int":
      return Number.isInteger(v);
    case "num":
      return typeof v === "number" && Number.isFinite(v);
    case "str":
      return typeof v === "string";
    case "bool":
      return typeof v === "boolean";
    case "obj":
      return typeof v === "object" && v !== null && !Array.isArray(v);
    case "array":
      return Array.isArray(v);
  }
  return false;
}

/**
 * The problems that keep `value` from being a v1 event; an empty list means it is valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateEvent } from "./validate_event.ts";
 * assert(validateEvent({ v: 1, type: "lost", count: 3 }).length === 0);
 * assert(validateEvent({ v: 1, type: "lost" })[0] === "lost.count: missing");
 * ```
 */
export function validateEvent(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["not an object"];
  const o = value as Record<string, unknown>;
  if (o.v !== 1) return [`v: expected 1, got ${JSON.stringify(o.v)}`];
  const type = o.type as Event["type"];
  const fields = SCHEMA[type];
  if (!fields) return [`type: unknown ${JSON.stringify(o.type)}`];
  const problems: string[] = [];
  for (const [name, kind] of Object.entries(fields)) {
    if (!(name in o)) {
      if (!(name in (ADDED_WITHIN_V1[type] ?? {}))) problems.push(`${type}.${name}: missing`);
    } else if (!_is(kind, o[name])) problems.push(`${type}.${name}: expected ${kind}, got ${JSON.stringify(o[name])}`);
    else if (ENUMS[name] && o[name] !== null && !ENUMS[name].includes(o[name] as string)) {
      problems.push(`${type}.${name}: ${JSON.stringify(o[name])} is not one of ${ENUMS[name].join(", ")}`);
    }
  }
  for (const name of Object.keys(o)) {
    if (name !== "v" && name !== "type" && !(name in fields)) problems.push(`${type}.${name}: not in the schema`);
  }
  if (type === "check" && o.site !== null && typeof o.site === "object") {
    const s = o.site as Record<string, unknown>;
    const site: Record<string, Kind> = { binary: "str", address: "str", function: "str?", file: "str?", line: "int?" };
    for (const [name, kind] of Object.entries(site)) {
      if (!_is(kind, s[name])) problems.push(`check.site.${name}: expected ${kind}, got ${JSON.stringify(s[name])}`);
    }
  }
  if (type === "summary") {
    const t = o.totals as Record<string, unknown> | null;
    for (const name of ["seen", "shown", "hidden", "lost", "malformed", "unsummarized"]) {
      if (!t || !Number.isInteger(t[name])) problems.push(`summary.totals.${name}: expected int`);
    }
    const r = o.recommendation as Record<string, unknown> | null;
    for (const name of ["setcap", "systemd", "docker", "compose", "kubernetes", "note"]) {
      if (!r || typeof r[name] !== "string") problems.push(`summary.recommendation.${name}: expected str`);
    }
    if (!r || !Array.isArray(r.capabilities)) problems.push("summary.recommendation.capabilities: expected array");
    // Added within v1: summaries written before it have none.
    const programs = r?.programs;
    if (programs !== undefined && !Array.isArray(programs)) {
      problems.push("summary.recommendation.programs: expected array");
    } else if (programs) {
      for (const [i, p] of programs.entries()) {
        const flags = typeof p?.script === "boolean" && typeof p?.interpreter === "boolean";
        if (typeof p?.path !== "string" || !flags || !Array.isArray(p.capabilities)) {
          problems.push(`summary.recommendation.programs[${i}]: expected {path, script, interpreter, capabilities}`);
        }
        if (p?.placed !== undefined && typeof p.placed !== "boolean") {
          problems.push(`summary.recommendation.programs[${i}].placed: expected bool`);
        }
        // Added within v1, and present only when true.
        if (p?.deleted !== undefined && p.deleted !== true) {
          problems.push(`summary.recommendation.programs[${i}].deleted: expected true or absent`);
        }
        // Added later still: absent, null, or a namespace's inode number.
        const ns = p?.mount_ns;
        if (ns !== undefined && ns !== null && !(Number.isSafeInteger(ns) && ns > 0)) {
          problems.push(`summary.recommendation.programs[${i}].mount_ns: expected null or a positive integer`);
        }
      }
    }
  }
  return problems;
}
