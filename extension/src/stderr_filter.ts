/**
 * captrace's stderr, which the traced program shares: its text passed on as it comes (a prompt or a `\r` progress
 * line without its newline too, blank lines kept), but for a line that may be captrace's own error event (see
 * EarlyErrors: a JSON object, before the trace said anything), held to its end to be told.
 *
 * @example
 * ```ts
 * import { StderrFilter } from "./stderr_filter.ts";
 * const f = new StderrFilter((line) => line.startsWith('{"v":1,"type":"error"'), () => true);
 * if (f.push("Password: ") !== "Password: ") throw new Error("a partial line goes on at once");
 * if (f.push('\n{"v":1,"type":"error"}\n') !== "\n") throw new Error("captrace's error is held back");
 * ```
 */
export class StderrFilter {
  readonly #take: (line: string) => boolean;
  readonly #early: () => boolean;
  #held = "";
  #holding = false;
  #lineStart = true;

  /**
   * `take(line)`: whether a whole line is captrace's (then not passed on); `early()`: whether a line may still be
   * (the trace has not spoken yet).
   */
  constructor(take: (line: string) => boolean, early: () => boolean) {
    this.#take = take;
    this.#early = early;
  }

  /** The text of `chunk` to pass on now. */
  push(chunk: string): string {
    let out = "";
    let i = 0;
    while (i < chunk.length) {
      if (
        !this.#holding && this.#lineStart && chunk[i] === "{" && this.#early()
      ) this.#holding = true;
      const nl = chunk.indexOf("\n", i);
      const end = nl < 0 ? chunk.length : nl + 1;
      if (this.#holding) {
        this.#held += chunk.slice(i, end);
        if (nl >= 0) out += this.#release();
        else if (this.#held.length > MAX_HELD) {
          // No error event is that long: the program's, passed on.
          out += this.#held;
          this.#held = "";
          this.#holding = false;
        }
      } else out += chunk.slice(i, end);
      this.#lineStart = nl >= 0;
      i = end;
    }
    return out;
  }

  /** What is left once the stream ended. */
  end(): string {
    return this.#holding ? this.#release() : "";
  }

  #release(): string {
    const text = this.#held;
    this.#held = "";
    this.#holding = false;
    const line = text.replace(/\r?\n$/, "");
    return this.#take(line) ? "" : text;
  }
}

/** Longer than any error event captrace writes. */
const MAX_HELD = 64 * 1024;
