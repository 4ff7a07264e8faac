/** Tests of the output byte buffer: integers as String() writes them, UTF-8 text, growth. */

import assert from "node:assert/strict";
import { ByteBuffer } from "./byte_buffer.ts";

const dec = new TextDecoder();

Deno.test("int writes every kind of number as String() does", () => {
  const b = new ByteBuffer(4);
  const edges = [0, -0, 1, 9, 10, 99, 100, 101, 999, 1000, 9999999, 99999999, 100000000, 100000001, 4026531837];
  const more = [-1, -10, -100000000, 1e15, 1e15 + 7, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER];
  const odd = [Number.MAX_SAFE_INTEGER + 2, 1.5, -2.25, 1e21, NaN, Infinity, -Infinity];
  let x = 1;
  const spread: number[] = [];
  for (let digits = 1; digits <= 16; digits++) {
    for (let i = 0; i < 50; i++) {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      const n = Math.floor((x / 2 ** 32) * 10 ** digits);
      spread.push(n, -n);
    }
  }
  for (const n of [...edges, ...more, ...odd, ...spread]) {
    b.clear();
    b.int(n);
    assert.equal(dec.decode(b.view()), String(n), `${n}`);
  }
});

Deno.test("text writes UTF-8 and raw copies bytes, growing the buffer as needed", () => {
  const b = new ByteBuffer(2);
  b.text("ünï 🦕 ");
  b.raw(new TextEncoder().encode("x".repeat(100)));
  b.raw(new Uint8Array([33]));
  b.byte(10);
  assert.equal(dec.decode(b.view()), "ünï 🦕 " + "x".repeat(100) + "!\n");
  b.clear();
  assert.equal(b.view().length, 0);
});
