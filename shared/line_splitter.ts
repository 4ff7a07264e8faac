/** Splits a stream of text chunks into lines without ever holding more than a bounded partial line. */

/** What the splitter found: complete lines, and how many over-long lines it cut short. */
export interface SplitResult {
  lines: string[];
}

/**
 * Feed text chunks; get complete lines back. A line longer than `max` is replaced by its first `max`
 * characters plus a marker character, so the parser can report it, and the rest of it is dropped.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineSplitter } from "./line_splitter.ts";
 * const s = new LineSplitter(100);
 * assert(s.push("a\nb").length === 1);
 * assert(s.push("c\n")[0] === "bc");
 * ```
 */
export class LineSplitter {
  #partial = "";
  #skipping = false;
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** The complete lines in `chunk` (joined with what was left over from earlier chunks). */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    while (true) {
      const nl = chunk.indexOf("\n", start);
      if (nl < 0) break;
      const piece = chunk.slice(start, nl);
      if (this.#skipping) {
        this.#skipping = false;
      } else if (this.#partial) {
        lines.push(this.#cap(this.#partial + piece));
      } else {
        lines.push(piece.length > this.max ? this.#cap(piece) : piece);
      }
      this.#partial = "";
      start = nl + 1;
    }
    if (start < chunk.length && !this.#skipping) {
      this.#partial += chunk.slice(start);
      if (this.#partial.length > this.max) {
        // Hand the parser a too-long line now; drop the rest of it as it arrives.
        lines.push(this.#cap(this.#partial));
        this.#partial = "";
        this.#skipping = true;
      }
    }
    return lines;
  }

  /** The last line when the input did not end with a newline. */
  end(): string[] {
    const rest = this.#skipping ? "" : this.#partial;
    this.#partial = "";
    this.#skipping = false;
    return rest ? [this.#cap(rest)] : [];
  }

  #cap(line: string): string {
    return line.length > this.max ? line.slice(0, this.max) + "\u2026" : line;
  }
}
