/** Which of captrace's stderr lines are its own error events, and which of those the trace did not carry itself. */

import type { ErrorEvent } from "../../shared/event.ts";
import { parseEventLine } from "./ndjson.ts";

/**
 * In `--json` mode captrace writes a fatal error as one JSON object on stderr, and also into the trace once the trace
 * is open. The traced program writes to the same stderr, so an object there is taken as captrace's only while the
 * trace has said nothing yet (the program has not run), only as an `error` event, and only at the end, when the trace
 * did not carry an error itself: a program's output cannot add events, and no error shows twice.
 *
 * @example
 * ```ts
 * import { EarlyErrors } from "./early_errors.ts";
 * const e = new EarlyErrors();
 * const line = '{"v":1,"type":"error","message":"No process with pid 9","hint":null,"exit_code":4}';
 * if (!e.take(line) || e.end().length !== 1) throw new Error("an error before the trace opened is captrace's");
 * ```
 */
export class EarlyErrors {
  readonly #held: ErrorEvent[] = [];
  #traceSpoke = false;
  #traceErred = false;

  /** Whether the trace said anything yet: from then on, no stderr line is captrace's error event. */
  get spoke(): boolean {
    return this.#traceSpoke;
  }

  /** Notes a line read from the trace (`error` tells whether it was an error event). */
  traceLine(error: boolean): void {
    this.#traceSpoke = true;
    if (error) this.#traceErred = true;
  }

  /** Whether a stderr line is captrace's error event, now held; any other line is the program's or captrace's text. */
  take(line: string): boolean {
    if (this.#traceSpoke || !line.startsWith("{")) return false;
    const r = parseEventLine(line);
    if (!("event" in r) || r.event.type !== "error") return false;
    this.#held.push(r.event);
    return true;
  }

  /** The held errors to report once captrace ended: none when the trace carried its own. */
  end(): ErrorEvent[] {
    return this.#traceErred ? [] : this.#held.splice(0);
  }
}
