/** Tests of captrace's argument parsing: short flags grouped as strace and getopt take them. */

import assert from "node:assert/strict";
import { parseOptions } from "./args.ts";

Deno.test("a group of short flags ending in one that takes a value takes the next word (strace -fp PID)", () => {
  const fp = parseOptions(["-fp", "1234"]);
  assert.deepEqual([fp.mode, fp.pid, fp.follow, fp.command], ["pid", 1234, true, []]);
  const cp = parseOptions(["-cp", "7"]);
  assert.deepEqual([cp.summary, cp.pid], [true, 7]);
  const cu = parseOptions(["-cu", "nobody", "--", "id", "-u"]);
  assert.deepEqual([cu.user, cu.command], ["nobody", ["id", "-u"]]);
  const co = parseOptions(["-vco", "trace.txt", "true"]);
  assert.deepEqual([co.verbose, co.output, co.command], [true, "trace.txt", ["true"]]);
});

Deno.test("a short flag that takes a value, inside a group, takes the rest of it; a group of switches takes nothing", () => {
  const joined = parseOptions(["-cunobody", "id"]);
  assert.deepEqual([joined.summary, joined.user, joined.command], [true, "nobody", ["id"]]);
  const switches = parseOptions(["-vc", "ls", "-l"]);
  assert.deepEqual([switches.verbose, switches.summary, switches.command], [true, true, ["ls", "-l"]]);
  // The original's single-dash long flags are no groups.
  assert.equal(parseOptions(["-pid", "42"]).pid, 42);
});
