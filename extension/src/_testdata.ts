/** Loads the recorded NDJSON fixtures of the unit tests. */

import type { Event, ReadyEvent } from "../../shared/event.ts";
import { parseEventLine } from "./ndjson.ts";

/** The events of `extension/testdata/NAME.ndjson`, in order. */
export function loadEvents(name: string): Event[] {
  const text = Deno.readTextFileSync(
    new URL(`../testdata/${name}.ndjson`, import.meta.url),
  );
  return text.split("\n").filter((l) => l.trim()).map((l) => {
    const r = parseEventLine(l);
    if (!("event" in r)) throw new SyntaxError(r.problem);
    return r.event;
  });
}

/** The ready event of a command trace whose root is `pid`: the session it is applied to runs. */
export function readyEvent(pid: number): ReadyEvent {
  return {
    v: 1,
    type: "ready",
    probe: "tracepoint",
    kernel: "",
    bpftrace: "",
    mode: "command",
    pid,
    cgroup: null,
    limits: [],
  };
}
