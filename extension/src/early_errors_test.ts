import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { EarlyErrors } from "./early_errors.ts";
import { readyEvent } from "./_testdata.ts";

const ERROR = { v: 1, type: "error", message: "Cannot attach", hint: null, exit_code: 1 } as const;
const CHECK = '{"v":1,"type":"check","pid":7,"cap_name":"cap_sys_admin","verdict":"denied"}';

Deno.test("an error on stderr before the trace said anything is captrace's, reported at the end", () => {
  const e = new EarlyErrors();
  assertEquals(e.take(JSON.stringify(ERROR)), true);
  assertEquals(e.end(), [ERROR]);
  assertEquals(e.end(), [], "reported once");
});

Deno.test("an error the trace carried too is reported from the trace alone", () => {
  // captrace writes it into the trace, then to stderr; the two pipes may be read in either order.
  for (const stderrFirst of [true, false]) {
    const e = new EarlyErrors();
    if (stderrFirst) assertEquals(e.take(JSON.stringify(ERROR)), true);
    e.traceLine(true);
    if (!stderrFirst) assertEquals(e.take(JSON.stringify(ERROR)), false, "not the program's output either");
    assertEquals(e.end(), [], `stderr first: ${stderrFirst}`);
  }
});

Deno.test("the traced program's stderr cannot add events", () => {
  const e = new EarlyErrors();
  // Before the trace spoke, only an error event is taken: a check, a summary or plain text stay output.
  assertEquals(e.take(CHECK), false);
  assertEquals(e.take(JSON.stringify(readyEvent(7))), false);
  assertEquals(e.take("{not json"), false);
  assertEquals(e.take("plain text"), false);
  e.traceLine(false); // ready: the program may run from now on
  assertEquals(e.take(JSON.stringify(ERROR)), false, "a program's fake error after ready");
  assertEquals(e.end(), []);
});
