import assert from "node:assert/strict";
import { decodeLossless, escapedByte } from "./lossless_text.ts";

const _encoder = new TextEncoder();

/** The bytes `text` stands for: escaped code units as their byte, the rest as UTF-8. */
function bytesOf(text: string): number[] {
  const out: number[] = [];
  for (const ch of text) {
    const byte = ch.length === 1 ? escapedByte(ch.charCodeAt(0)) : null;
    if (byte !== null) out.push(byte);
    else out.push(..._encoder.encode(ch));
  }
  return out;
}

Deno.test("decodeLossless keeps UTF-8 as TextDecoder reads it, a byte-order mark included", () => {
  for (const s of ["", "chown", "Web Content", "é ü 日本 😀", "\ufeffbom", "\x00\x1b[31m"]) {
    assert.equal(decodeLossless(_encoder.encode(s)), s);
  }
});

Deno.test("decodeLossless escapes each byte that is not UTF-8, and only those", () => {
  const cases: [number[], string][] = [
    [[0xff, 0xfe], "\udcff\udcfe"],
    [[0x61, 0x80, 0x62], "a\udc80b"],
    // Cut short, at the end and before an ASCII byte.
    [[0xc3], "\udcc3"],
    [[0xe6, 0x97, 0x61], "\udce6\udc97a"],
    // Overlong forms, a UTF-8 surrogate, past U+10FFFF.
    [[0xc0, 0xaf], "\udcc0\udcaf"],
    [[0xe0, 0x80, 0xaf], "\udce0\udc80\udcaf"],
    [[0xed, 0xa0, 0x80], "\udced\udca0\udc80"],
    [[0xf4, 0x90, 0x80, 0x80], "\udcf4\udc90\udc80\udc80"],
    // Valid sequences around an invalid byte stay whole.
    [[0xc3, 0xa9, 0xff, 0xf0, 0x9f, 0x98, 0x80], "é\udcff😀"],
  ];
  for (const [bytes, text] of cases) assert.equal(decodeLossless(new Uint8Array(bytes)), text, bytes.join());
});

Deno.test("decodeLossless loses no byte: every byte string comes back from its text", () => {
  let seed = 0x5eed;
  const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let n = 0; n < 2000; n++) {
    const bytes = Array.from({ length: Math.floor(next() * 12) }, () => {
      const r = next();
      // Mostly bytes that start or continue sequences, to make many of both kinds.
      return r < 0.3 ? Math.floor(next() * 0x80) : 0x80 + Math.floor(next() * 0x80);
    });
    assert.deepEqual(bytesOf(decodeLossless(new Uint8Array(bytes))), bytes, bytes.join());
  }
});
