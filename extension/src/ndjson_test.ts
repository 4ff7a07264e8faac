import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import { LineSplitter, parseEventLine } from "./ndjson.ts";
import { loadEvents } from "./_testdata.ts";
import { formatEvent } from "./output_lines.ts";

Deno.test("line splitter joins a line split across chunks", () => {
  const s = new LineSplitter();
  assertEquals(s.push('{"v":1,'), []);
  assertEquals(s.push('"type":"lost"}\n{"x"'), ['{"v":1,"type":"lost"}']);
  assertEquals(s.push(":1}\r\n\n"), ['{"x":1}']);
  assertEquals(s.flush(), []);
});

Deno.test("line splitter returns a last line without newline on flush", () => {
  const s = new LineSplitter();
  assertEquals(s.push("a\nb"), ["a"]);
  assertEquals(s.flush(), ["b"]);
  assertEquals(s.flush(), []);
});

Deno.test("parser accepts every v1 event type", () => {
  for (
    const type of ["ready", "check", "exec", "exit", "lost", "summary", "error"]
  ) {
    const r = parseEventLine(JSON.stringify({ v: 1, type }));
    assertEquals("event" in r, true, type);
  }
});

Deno.test("parser reports bad lines instead of throwing", () => {
  assertEquals(parseEventLine("Tracing…"), { problem: "Not JSON: Tracing…" });
  assertEquals(parseEventLine("[1]"), { problem: "Not a JSON object: [1]" });
  const v2 = parseEventLine('{"v":2,"type":"check"}');
  assertEquals("skip" in v2 && v2.skip === "version" && [v2.problem, v2.error.message], [
    "Unsupported event version 2",
    "captrace writes version 2 of its events, which this extension cannot read",
  ]);
  assertEquals(parseEventLine('{"v":1,"type":"nope"}'), {
    problem: "Unknown event type nope",
    skip: "type",
  });
});

Deno.test("an older captrace's event lacks fields added within v1: they read as unknown, not undefined", () => {
  const check = loadEvents("deny_chown").find((e) => e.type === "check")!;
  const { syscall_abi: _, ...old } = { ...check, syscall: 999, syscall_name: null };
  const r = parseEventLine(JSON.stringify(old));
  assert.ok("event" in r && r.event.type === "check");
  assertEquals(r.event.syscall_abi, null);
  assert.match(formatEvent(r.event), / syscall=999 at /);
  const exit = parseEventLine('{"v":1,"type":"exit","ts":1,"pid":2,"code":0,"signal":null,"root":true}');
  assert.ok("event" in exit && exit.event.type === "exit" && exit.event.core_dumped === false);
});
