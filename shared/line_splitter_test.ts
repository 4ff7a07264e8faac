/** Tests of the line splitter: chunk boundaries anywhere, over-long lines, bounded memory. */

import assert from "node:assert/strict";
import { LineSplitter } from "./line_splitter.ts";

function splitIn(text: string, sizes: number[], max = 1000): string[] {
  const s = new LineSplitter(max);
  const out: string[] = [];
  let at = 0;
  let i = 0;
  while (at < text.length) {
    const n = sizes[i++ % sizes.length]!;
    out.push(...s.push(text.slice(at, at + n)));
    at += n;
  }
  out.push(...s.end());
  return out;
}

const TEXT = "READY 1\nC 1 2 3 comm\n        cap_capable+131\n\nR 1 2 -1\n\n\nS end\n";
const LINES = ["READY 1", "C 1 2 3 comm", "        cap_capable+131", "", "R 1 2 -1", "", "", "S end"];

Deno.test("splitter gives the same lines whatever the chunk boundaries", () => {
  for (let size = 1; size <= TEXT.length; size++) {
    assert.deepEqual(splitIn(TEXT, [size]), LINES, `chunks of ${size}`);
  }
  // Two-way splits at every position, including right before and after each newline.
  for (let cut = 0; cut <= TEXT.length; cut++) {
    const s = new LineSplitter(1000);
    const out = [...s.push(TEXT.slice(0, cut)), ...s.push(TEXT.slice(cut)), ...s.end()];
    assert.deepEqual(out, LINES, `cut at ${cut}`);
  }
});

Deno.test("splitter returns nothing for a chunk without a newline, then the joined line", () => {
  const s = new LineSplitter(100);
  assert.deepEqual(s.push("ab"), []);
  assert.deepEqual(s.push(""), []);
  assert.deepEqual(s.push("c"), []);
  assert.deepEqual(s.push("d\ne"), ["abcd"]);
  assert.deepEqual(s.end(), ["e"]);
});

Deno.test("splitter gives the last line when the input does not end with a newline", () => {
  assert.deepEqual(splitIn("a\nb", [1]), ["a", "b"]);
  const s = new LineSplitter(10);
  assert.deepEqual(s.end(), []);
});

Deno.test("splitter keeps carriage returns for the parser to strip", () => {
  assert.deepEqual(splitIn("a\r\nb\r\n", [3]), ["a\r", "b\r"]);
});

Deno.test("splitter passes a line of exactly max characters unchanged", () => {
  const line = "x".repeat(50);
  assert.deepEqual(splitIn(line + "\nok\n", [7], 50), [line, "ok"]);
  assert.deepEqual(splitIn(line + "\nok\n", [1000], 50), [line, "ok"]);
});

Deno.test("splitter cuts a line over max to max characters plus a marker, within one chunk", () => {
  const out = splitIn("y".repeat(51) + "\nok\n", [1000], 50);
  assert.deepEqual(out, ["y".repeat(50) + "\u2026", "ok"]);
});

Deno.test("splitter cuts an over-long line arriving in small chunks once, and drops the rest of it", () => {
  const out = splitIn("z".repeat(10_000) + "\nnext\n", [7], 50);
  assert.deepEqual(out, ["z".repeat(50) + "\u2026", "next"]);
});

Deno.test("splitter cuts an over-long line that started in an earlier chunk and ends in this one", () => {
  const s = new LineSplitter(50);
  assert.deepEqual(s.push("a".repeat(40)), []);
  assert.deepEqual(s.push("b".repeat(20) + "\nc\n"), ["a".repeat(40) + "b".repeat(10) + "\u2026", "c"]);
});

Deno.test("splitter drops an over-long last line's tail at the end of input", () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push("q".repeat(25)), ["q".repeat(10) + "\u2026"]);
  assert.deepEqual(s.push("q".repeat(25)), []);
  assert.deepEqual(s.end(), []);
});

Deno.test("splitter hands over an over-long line as soon as it passes max, not at its newline", () => {
  const s = new LineSplitter(64);
  // 4 MiB without a newline, in 1 KiB chunks: the cut line comes out with the first chunk, the rest is dropped.
  const chunk = "w".repeat(1024);
  assert.deepEqual(s.push(chunk), ["w".repeat(64) + "\u2026"]);
  for (let i = 1; i < 4096; i++) assert.deepEqual(s.push(chunk), []);
  assert.deepEqual(s.push("tail\nafter\n"), ["after"]);
  assert.deepEqual(s.end(), []);
});

Deno.test("splitter can be reused after end", () => {
  const s = new LineSplitter(10);
  s.push("abc");
  assert.deepEqual(s.end(), ["abc"]);
  assert.deepEqual(s.push("d\n"), ["d"]);
});
