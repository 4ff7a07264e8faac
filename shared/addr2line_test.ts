/** Tests of addr2line output parsing: plain, inlined, discriminators, unknown functions and lines. */

import assert from "node:assert/strict";
import { callSiteFrame, parseAddr2line, parseFrame } from "./addr2line.ts";

const read = (name: string) => Deno.readTextFileSync(new URL(`./testdata/sites/${name}`, import.meta.url));

Deno.test("addr2line: inlined helper gives the helper's line as the call site", () => {
  const all = parseAddr2line(read("addr2line_o2.txt"));
  assert.equal(all.length, 3);
  assert.equal(all[0]!.address, 0x107cn);
  assert.deepEqual(all[0]!.frames, [
    { function: "helper", file: "/tmp/exp/t.c", line: 3 },
    { function: "main", file: "/tmp/exp/t.c", line: 6 },
  ]);
  assert.deepEqual(callSiteFrame(all[1]!), { function: "helper", file: "/tmp/exp/t.c", line: 3 });
  assert.deepEqual(all[2]!.frames, [{ function: null, file: null, line: null }]);
});

Deno.test("addr2line: stripped binary knows nothing", () => {
  const [a] = parseAddr2line(read("addr2line_stripped.txt"));
  assert.deepEqual(a?.frames, [{ function: null, file: null, line: null }]);
});

Deno.test("addr2line frame: discriminator dropped, unknown line, C++ names with spaces", () => {
  assert.deepEqual(parseFrame("main at /src/t.c:6 (discriminator 1)"), { function: "main", file: "/src/t.c", line: 6 });
  assert.deepEqual(parseFrame("frame_dummy at crtstuff.c:?"), {
    function: "frame_dummy",
    file: "crtstuff.c",
    line: null,
  });
  assert.deepEqual(parseFrame("ns::f(int, char const*) at /a b/x.cc:12"), {
    function: "ns::f(int, char const*)",
    file: "/a b/x.cc",
    line: 12,
  });
});

Deno.test("addr2line: CRLF and stray lines are tolerated", () => {
  const all = parseAddr2line("noise\r\n0x10: f at a.c:1\r\n (inlined by) g at a.c:9\r\n");
  assert.equal(all.length, 1);
  assert.equal(all[0]!.frames[1]?.line, 9);
});
