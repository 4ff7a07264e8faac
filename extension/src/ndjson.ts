/** Splits a byte stream of NDJSON into lines and turns each line into a v1 event. */

import { ADDED_WITHIN_V1, type ErrorEvent, type Event } from "../../shared/event.ts";

const EVENT_TYPES: ReadonlySet<string> = new Set([
  "ready",
  "check",
  "exec",
  "exit",
  "lost",
  "summary",
  "error",
]);

/**
 * Collects chunks and hands back complete lines; a line split across chunks is kept until its newline arrives.
 *
 * @example
 * ```ts
 * import { LineSplitter } from "./ndjson.ts";
 * const s = new LineSplitter();
 * s.push('{"a":1}\n{"b"');
 * const lines = s.push(":2}\n");
 * if (lines[0] !== '{"b":2}') throw new Error("unexpected");
 * ```
 */
export class LineSplitter {
  #rest = "";

  /** Adds a chunk and returns the lines it completed, without their line ends. */
  push(chunk: string): string[] {
    const text = this.#rest + chunk;
    const parts = text.split("\n");
    this.#rest = parts.pop() ?? "";
    return parts.map(_stripCr).filter((line) => line.length > 0);
  }

  /** Returns what is left after the stream ended (a last line without a newline), if anything. */
  flush(): string[] {
    const rest = _stripCr(this.#rest);
    this.#rest = "";
    return rest.length > 0 ? [rest] : [];
  }
}

function _stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

/**
 * The result of parsing one NDJSON line: an event, or why the line is not one. `skip` marks the lines a reader skips
 * by design, saying so once: an event type this version does not know (NDJSON.md: readers ignore those), or another
 * version of the schema (every line is then skipped; `error` says why, for the user).
 */
export type ParsedLine =
  | { event: Event }
  | { problem: string; skip?: undefined }
  | { problem: string; skip: "type" }
  | { problem: string; skip: "version"; error: ErrorEvent };

/**
 * Parses one NDJSON line into a v1 event; lines of another version or unknown type are reported, not thrown.
 *
 * @example
 * ```ts
 * import { parseEventLine } from "./ndjson.ts";
 * const r = parseEventLine('{"v":1,"type":"lost","count":3}');
 * if (!("event" in r) || r.event.type !== "lost") throw new Error("unexpected");
 * ```
 */
export function parseEventLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { problem: `Not JSON: ${line.slice(0, 120)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { problem: `Not a JSON object: ${line.slice(0, 120)}` };
  }
  const record = value as Record<string, unknown>;
  if (record.v !== 1) {
    const error: ErrorEvent = {
      v: 1,
      type: "error",
      message: `captrace writes version ${String(record.v)} of its events, which this extension cannot read`,
      hint: "Install the Captrace extension of captrace's release",
      exit_code: null,
    };
    return { problem: `Unsupported event version ${String(record.v)}`, skip: "version", error };
  }
  if (typeof record.type !== "string" || !EVENT_TYPES.has(record.type)) {
    return { problem: `Unknown event type ${String(record.type)}`, skip: "type" };
  }
  // Fields added within v1 (NDJSON.md), absent from an older captrace's events: the values that mean "not known".
  for (const [field, absent] of Object.entries(ADDED_WITHIN_V1[record.type] ?? {})) {
    if (!(field in record)) record[field] = absent;
  }
  return { event: record as unknown as Event };
}
