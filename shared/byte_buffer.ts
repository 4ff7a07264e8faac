/** A growable buffer of UTF-8 bytes that output lines are written into, with no string made per line. */

const _encoder = new TextEncoder();
/** Digits of 0–99, two bytes each, for writing integers two digits at a time. */
const _PAIRS = _encoder.encode(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""));

/**
 * Bytes written so far are `bytes.subarray(0, length)`; `clear()` starts over and keeps the memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteBuffer } from "./byte_buffer.ts";
 * const b = new ByteBuffer();
 * b.text("pid ");
 * b.int(-42);
 * assert.equal(new TextDecoder().decode(b.view()), "pid -42");
 * ```
 */
export class ByteBuffer {
  bytes: Uint8Array;
  length = 0;

  constructor(size = 1 << 16) {
    this.bytes = new Uint8Array(size);
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }

  clear(): void {
    this.length = 0;
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.length + n, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(c: number): void {
    this.reserve(1);
    this.bytes[this.length++] = c;
  }

  /** Appends bytes encoded earlier (short ones by hand: set() costs more than a loop over a few bytes). */
  raw(b: Uint8Array): void {
    const n = b.length;
    this.reserve(n);
    const out = this.bytes;
    let at = this.length;
    if (n > 32) out.set(b, at);
    else for (let i = 0; i < n; i++) out[at + i] = b[i]!;
    at += n;
    this.length = at;
  }

  /** Appends a string as UTF-8. */
  text(s: string): void {
    this.reserve(s.length * 3);
    this.length += _encoder.encodeInto(s, this.bytes.subarray(this.length)).written;
  }

  /** Appends a number as String(n) would; safe integers are written digit by digit, in 32-bit arithmetic. */
  int(n: number): void {
    if (!Number.isSafeInteger(n)) return this.text(String(n));
    this.reserve(17);
    if (n < 0) {
      this.bytes[this.length++] = 45; // "-"
      n = -n;
    }
    if (n < 1e8) return this.#digits(n | 0, _width(n | 0));
    // At most 16 digits: the high part has at most 8, the low part exactly 8.
    const high = Math.floor(n / 1e8);
    this.#digits(high | 0, _width(high | 0));
    this.#digits((n - high * 1e8) | 0, 8);
  }

  /** Writes `n` (below 10^8) as `width` digits, zero-padded. */
  #digits(n: number, width: number): void {
    const out = this.bytes;
    const start = this.length;
    let at = start + width;
    this.length = at;
    while (at - start >= 2) {
      const q = (n / 100) | 0;
      const r = (n - q * 100) << 1;
      out[--at] = _PAIRS[r + 1]!;
      out[--at] = _PAIRS[r]!;
      n = q;
    }
    if (at > start) out[--at] = 48 + n;
  }
}

/** Number of decimal digits of `n`, 0 ≤ n < 10^8. */
function _width(n: number): number {
  return n < 10000
    ? (n < 100 ? (n < 10 ? 1 : 2) : (n < 1000 ? 3 : 4))
    : (n < 1000000 ? (n < 100000 ? 5 : 6) : (n < 10000000 ? 7 : 8));
}
