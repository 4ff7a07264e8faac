/**
 * Text of bytes that may not be UTF-8, with nothing lost: a comm or a file name is bytes, chosen by the traced
 * process, and TextDecoder would make each byte that is not UTF-8 U+FFFD. Such a byte becomes U+DC80 + its value here
 * instead (a lone low surrogate, as Python's "surrogateescape" makes it), which no text decoded from UTF-8 holds;
 * printable() and the setcap lines' shell quoting write it back as `\xNN`, and NDJSON as `\udcNN`.
 */

const _strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The first and last code units standing for a byte that is not UTF-8 (0x80–0xFF). */
export const ESCAPED_FIRST = 0xdc80;
export const ESCAPED_LAST = 0xdcff;

/**
 * `b` as text: UTF-8 where it is, each other byte as U+DC80 + its value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeLossless } from "./lossless_text.ts";
 * assert.equal(decodeLossless(new Uint8Array([0x61, 0xff, 0xc3, 0xa9])), "a\udcffé");
 * ```
 */
export function decodeLossless(b: Uint8Array): string {
  try {
    return _strict.decode(b);
  } catch {
    return _slow(b);
  }
}

/** The byte an escaped code unit stands for, or null for any other. */
export function escapedByte(unit: number): number | null {
  return unit >= ESCAPED_FIRST && unit <= ESCAPED_LAST ? unit - 0xdc00 : null;
}

/** Decodes sequence by sequence, as RFC 3629 defines them: shortest forms, no surrogates, up to U+10FFFF. */
function _slow(b: Uint8Array): string {
  let out = "";
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      out += String.fromCharCode(c);
      i++;
      continue;
    }
    const need = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    let cp = need === 1 ? c & 0x1f : need === 2 ? c & 0x0f : c & 0x07;
    let k = 1;
    for (; need > 0 && k <= need; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) break;
      cp = (cp << 6) | (d & 0x3f);
    }
    const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
    if (need === 0 || k <= need || cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      out += String.fromCharCode(0xdc00 + c);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
