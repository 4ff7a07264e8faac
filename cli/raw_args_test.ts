/** Tests of the command's arguments read as bytes and escaped for the launcher's shell. */

import assert from "node:assert/strict";
import { cmdlineWords, escapeForPrintf, isUtf8, rawTail } from "./raw_args.ts";

Deno.test("cmdlineWords splits at each NUL, a last word without one kept", () => {
  const b = new Uint8Array([0x61, 0, 0xff, 0x62, 0, 0, 0x63]);
  assert.deepEqual(cmdlineWords(b).map((w) => [...w]), [[0x61], [0xff, 0x62], [], [0x63]]);
});

Deno.test("isUtf8 tells Latin-1 from UTF-8", () => {
  assert.equal(isUtf8(new TextEncoder().encode("café ✓")), true);
  assert.equal(isUtf8(new Uint8Array([0x63, 0x61, 0x66, 0xe9])), false);
});

Deno.test("escapeForPrintf escapes bytes past ASCII and backslashes, and printf %b prints them back", async () => {
  const bytes = new Uint8Array([0x61, 0xff, 0x5c, 0x6e, 0x25, 0x64, 0x0a, 0xe9]);
  const e = escapeForPrintf(bytes);
  assert.equal(e, "a\\0377\\0134n%d\n\\0351");
  const out = await new Deno.Command("/bin/sh", { args: ["-c", 'printf "%b" "$1"', "sh", e] }).output();
  assert.deepEqual([...out.stdout], [...bytes]);
});

Deno.test("rawTail is null when every argument is UTF-8, as in this test run", () => {
  assert.equal(rawTail(0), null);
  assert.equal(rawTail(1), null);
});
