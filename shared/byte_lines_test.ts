/** Tests of the byte line splitter: chunk boundaries anywhere, over-long lines, bounded carry, the newline after. */

import assert from "node:assert/strict";
import { ByteLines } from "./byte_lines.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Feeds `text` in chunks of `sizes` (cycled); returns the lines, and checks the byte after each is a newline. */
function splitIn(text: string, sizes: number[], max = 1000, lines = new ByteLines(max)): string[] {
  const bytes = enc.encode(text);
  const out: string[] = [];
  const take = (b: Uint8Array, start: number, end: number) => {
    assert.equal(b[end], 10, "the byte after a line is its newline");
    out.push(dec.decode(b.subarray(start, end)));
  };
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const n = sizes[i++ % sizes.length]!;
    lines.push(bytes.subarray(at, at + n), take);
    at += n;
  }
  lines.end(take);
  return out;
}

const TEXT = "READY 1\nC 1 2 3 comm\n        cap_capable+131\n\nR 1 2 -1\n\n\nS end\n";
const LINES = ["READY 1", "C 1 2 3 comm", "        cap_capable+131", "", "R 1 2 -1", "", "", "S end"];

Deno.test("byte lines are the same whatever the chunk boundaries", () => {
  for (let size = 1; size <= TEXT.length; size++) assert.deepEqual(splitIn(TEXT, [size]), LINES, `chunks of ${size}`);
  for (let cut = 0; cut <= TEXT.length; cut++) {
    assert.deepEqual(splitIn(TEXT, [cut || TEXT.length, TEXT.length]), LINES, `cut at ${cut}`);
  }
});

Deno.test("byte lines keep a character split across chunks whole", () => {
  assert.deepEqual(splitIn("C 1 🦕 ünï\nx\n", [5, 1]), ["C 1 🦕 ünï", "x"]);
});

Deno.test("byte lines give the last line when the input does not end with a newline", () => {
  assert.deepEqual(splitIn("a\nbc", [1]), ["a", "bc"]);
  assert.deepEqual(splitIn("", [1]), []);
});

Deno.test("byte lines keep carriage returns for the parser to strip", () => {
  assert.deepEqual(splitIn("a\r\nb\r\n", [3]), ["a\r", "b\r"]);
});

Deno.test("byte lines follow a carried line with its newline, not with what an earlier one left", () => {
  // A long line carried first leaves digits in the carry; a shorter one carried later must end at its newline.
  const lines = new ByteLines(100);
  assert.deepEqual(splitIn("R 1 2 3456789012\nR 1 2 3\n", [8, 2, 9], 100, lines), ["R 1 2 3456789012", "R 1 2 3"]);
});

Deno.test("byte lines pass a line of exactly max bytes unchanged, and cut a longer one to max + 1", () => {
  const line = "x".repeat(50);
  assert.deepEqual(splitIn(line + "\nok\n", [7], 50), [line, "ok"]);
  assert.deepEqual(splitIn(line + "\nok\n", [1000], 50), [line, "ok"]);
  assert.deepEqual(splitIn("y".repeat(10_000) + "\nnext\n", [7], 50), ["y".repeat(51), "next"]);
});

Deno.test("byte lines hand over an over-long line once it passes max, and drop the rest of it", () => {
  const lines = new ByteLines(64);
  const got: number[] = [];
  const take = (_b: Uint8Array, start: number, end: number) => got.push(end - start);
  const chunk = enc.encode("w".repeat(1024));
  lines.push(chunk, take);
  assert.deepEqual(got, [65]);
  for (let i = 1; i < 4096; i++) lines.push(chunk, take);
  lines.push(enc.encode("tail\nafter\n"), take);
  lines.end(take);
  assert.deepEqual(got, [65, 5]);
});

Deno.test("byte lines drop an over-long last line's tail at the end of input, and can be reused", () => {
  const lines = new ByteLines(10);
  assert.deepEqual(splitIn("q".repeat(25), [4], 10, lines), ["q".repeat(11)]);
  assert.deepEqual(splitIn("abc", [2], 10, lines), ["abc"]);
});
