/** Loads the recorded NDJSON fixtures of the unit tests. */

import type { Event } from "../../shared/event.ts";
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
