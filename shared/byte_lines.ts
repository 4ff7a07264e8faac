/** Splits a stream of byte chunks into lines, handed over as ranges of a buffer: no string is made for a line. */

/** Receives one line: `buf[start, end)`, without its newline. The range is valid only during the call. */
export type LineSink = (buf: Uint8Array, start: number, end: number) => void;

const NL = 10;

/**
 * Feed byte chunks; each complete line goes to a callback as a range of the chunk, or of a carry buffer when it
 * spans chunks. A line longer than `max` bytes is handed over cut to `max + 1` bytes (so the reader can tell it
 * was too long) and the rest of it is dropped: the carry never grows beyond `max + 2` bytes. The byte right after
 * a line's range is always its newline, so a reader may scan up to it without checking the range's end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ByteLines } from "./byte_lines.ts";
 * const lines: string[] = [];
 * const b = new ByteLines(100);
 * const take = (buf: Uint8Array, s: number, e: number) => lines.push(new TextDecoder().decode(buf.subarray(s, e)));
 * b.push(new TextEncoder().encode("a\nb"), take);
 * b.push(new TextEncoder().encode("c\n"), take);
 * assert.deepEqual(lines, ["a", "bc"]);
 * ```
 */
export class ByteLines {
  #carry = new Uint8Array(256);
  #carried = 0;
  #skipping = false;
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Hands every complete line of `chunk` (joined with what was left over from earlier chunks) to `line`. */
  push(chunk: Uint8Array, line: LineSink): void {
    const size = chunk.length;
    let start = 0;
    while (true) {
      // A plain loop: faster here than indexOf(), whose call costs more than most lines take to scan.
      let nl = start;
      while (nl < size && chunk[nl] !== NL) nl++;
      if (nl === size) break;
      if (this.#skipping) {
        this.#skipping = false;
      } else if (this.#carried > 0) {
        this.#append(chunk, start, nl);
        this.#carry[this.#carried] = NL;
        line(this.#carry, 0, this.#carried);
      } else {
        line(chunk, start, nl);
      }
      this.#carried = 0;
      start = nl + 1;
    }
    if (start < size && !this.#skipping) {
      this.#append(chunk, start, size);
      if (this.#carried > this.max) {
        // Hand over a too-long line now; drop the rest of it as it arrives.
        this.#carry[this.#carried] = NL;
        line(this.#carry, 0, this.#carried);
        this.#carried = 0;
        this.#skipping = true;
      }
    }
  }

  /** Hands over the last line when the input did not end with a newline. */
  end(line: LineSink): void {
    const rest = this.#skipping ? 0 : this.#carried;
    this.#carried = 0;
    this.#skipping = false;
    if (rest > 0) {
      this.#carry[rest] = NL;
      line(this.#carry, 0, rest);
    }
  }

  /** Adds `chunk[from, to)` to the carry, keeping at most `max + 1` bytes and room for a newline after them. */
  #append(chunk: Uint8Array, from: number, to: number): void {
    const n = Math.min(to - from, this.max + 1 - this.#carried);
    if (n <= 0) return;
    const need = this.#carried + n;
    if (need + 1 > this.#carry.length) {
      const grown = new Uint8Array(Math.min(this.max + 2, Math.max(need + 1, this.#carry.length * 2)));
      grown.set(this.#carry.subarray(0, this.#carried));
      this.#carry = grown;
    }
    this.#carry.set(chunk.subarray(from, from + n), this.#carried);
    this.#carried = need;
  }
}
