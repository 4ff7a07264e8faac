/** What Ctrl-C typed in a traced program's terminal does, as in captrace's own terminal. */

/** A second Ctrl-C within this long of the first stops the trace (captrace's TYPED_AGAIN_MS). */
export const CTRL_C_AGAIN_MS = 3_000;

/**
 * Ctrl-C presses of one run: the first is an interrupt of the program (SIGINT, passed on through captrace's control
 * FIFO), which may catch it and go on (a REPL) or end as it would in a terminal; another within CTRL_C_AGAIN_MS stops
 * the trace. Before the program runs there is nothing to interrupt: it stops the trace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CtrlC } from "./ctrl_c.ts";
 * const keys = new CtrlC();
 * assert.equal(keys.press(1000, true), "interrupt");
 * assert.equal(keys.press(2000, true), "stop");
 * assert.equal(keys.press(9000, true), "interrupt");
 * assert.equal(new CtrlC().press(1000, false), "stop");
 * ```
 */
export class CtrlC {
  #at = -Infinity;

  /** A press at `now` (ms); `running`: the program runs and is traced. */
  press(now: number, running: boolean): "interrupt" | "stop" {
    const again = now - this.#at <= CTRL_C_AGAIN_MS;
    this.#at = now;
    return running && !again ? "interrupt" : "stop";
  }
}
