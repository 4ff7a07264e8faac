/**
 * The line editing a terminal does for a program that reads its input as lines (a tty's canonical mode), for the
 * keys typed in an editor's pseudoterminal, whose program reads a pipe: typed text is echoed and sent a line at a
 * time.
 */

/** Where the typed input goes. */
export interface LineInputSink {
  /** Text to show in the terminal: what was typed, and erasures. */
  echo(text: string): void;
  /** Text for the program's stdin: a finished line with its newline, or a line given with Ctrl-D. */
  send(text: string): void;
  /** Ctrl-D on an empty line: the end of the program's input. */
  end(): void;
  /** Ctrl-C. */
  interrupt(): void;
}

const ESC = "\x1b";

/**
 * Takes keys as a terminal sends them: Enter sends the line, Backspace erases a character, Ctrl-U the line, Ctrl-D
 * ends the input (on an empty line; on a line, sends it as it is), Ctrl-C interrupts. Escape sequences (arrows,
 * function keys) and other control characters are ignored; after the end only Ctrl-C still counts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineInput } from "./line_input.ts";
 * const sent: string[] = [];
 * const input = new LineInput({ echo: () => {}, send: (t) => sent.push(t), end: () => {}, interrupt: () => {} });
 * input.take("lx\x7fs\r");
 * assert.deepEqual(sent, ["ls\n"]);
 * ```
 */
export class LineInput {
  readonly #sink: LineInputSink;
  /** The line typed so far, one code point an entry (so that Backspace erases a whole character). */
  #line: string[] = [];
  #ended = false;
  /** The last key was a carriage return: a line feed right after it is the same Enter (pasted CRLF). */
  #afterCr = false;
  /** Inside an escape sequence: what is left to skip ("[" or "O" expected, or its final byte). */
  #escape: "start" | "body" | null = null;

  constructor(sink: LineInputSink) {
    this.#sink = sink;
  }

  /** Whether the end of input was given (Ctrl-D on an empty line), or the program is gone (see close). */
  get ended(): boolean {
    return this.#ended;
  }

  /** No more input is taken, nor shown (the program ended); Ctrl-C still interrupts. */
  close(): void {
    this.#ended = true;
    this.#line = [];
  }

  /** Takes keys as the terminal sends them (one or many at once, as a paste does). */
  take(data: string): void {
    for (const ch of data) {
      const afterCr = this.#afterCr;
      this.#afterCr = false;
      // Ctrl-C counts wherever it comes, in an escape sequence cut short too.
      if (ch === "\x03") {
        this.#escape = null;
        this.#line = [];
        this.#sink.echo("^C\r\n");
        this.#sink.interrupt();
        continue;
      }
      if (this.#escape !== null && this.#skipEscape(ch)) continue;
      if (this.#ended) continue;
      switch (ch) {
        case ESC:
          this.#escape = "start";
          break;
        case "\r":
        case "\n":
          if (ch === "\n" && afterCr) break;
          this.#afterCr = ch === "\r";
          this.#sink.echo("\r\n");
          this.#sink.send(this.#line.join("") + "\n");
          this.#line = [];
          break;
        case "\x7f":
        case "\b":
          if (this.#line.pop() !== undefined) this.#sink.echo("\b \b");
          break;
        case "\x15":
          this.#sink.echo("\b \b".repeat(this.#line.length));
          this.#line = [];
          break;
        case "\x04":
          if (this.#line.length === 0) {
            this.#ended = true;
            this.#sink.end();
          } else {
            this.#sink.send(this.#line.join(""));
            this.#line = [];
          }
          break;
        default:
          // Tab is text; other control characters have no meaning here.
          if (ch < " " && ch !== "\t") break;
          this.#line.push(ch);
          this.#sink.echo(ch);
      }
    }
  }

  /**
   * Whether `ch` belongs to the escape sequence begun: CSI (ESC [ … final) and SS3 (ESC O x) sequences are skipped
   * whole; after a lone Escape, any other key is taken as typed.
   */
  #skipEscape(ch: string): boolean {
    if (this.#escape === "start") {
      this.#escape = ch === "[" || ch === "O" ? "body" : null;
      return this.#escape !== null;
    }
    // A CSI's parameters and intermediates are 0x20–0x3f; its final byte, and SS3's one key, are 0x40–0x7e.
    if (ch >= "@" && ch <= "~") this.#escape = null;
    return true;
  }
}
