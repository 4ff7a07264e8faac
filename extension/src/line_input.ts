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
/** A terminal escape sequence: CSI (colours, cursor moves), OSC (a title, ended by BEL or ST), or ESC and one key. */
// deno-lint-ignore no-control-regex
const ESCAPE_SEQUENCE = /\x1b(?:\[[0-?]*[ -\/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/;

/** Characters a terminal shows two columns wide (East Asian wide and full-width forms, emoji). */
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{20000}-\u{3fffd}]|\p{Emoji_Presentation}/u;
/** Characters that take no column of their own (combining marks, joiners, variation selectors). */
const ZERO = /[\p{Mn}\p{Me}\u200b-\u200f\ufe00-\ufe0f]/u;

/**
 * The column after `ch` shown at column `col`, as a terminal moves: a tab to the next multiple of 8, a wide
 * character two columns on, a combining mark none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { columnAfter } from "./line_input.ts";
 * assert.deepEqual([columnAfter("a", 3), columnAfter("\t", 3), columnAfter("漢", 3), columnAfter("\u0301", 3)], [4, 8, 5, 3]);
 * ```
 */
export function columnAfter(ch: string, col: number): number {
  if (ch === "\t") return col - (col % 8) + 8;
  if (ch === "\r" || ch === "\n") return 0;
  if (ch === "\b") return Math.max(0, col - 1);
  if (ch < " " || ZERO.test(ch)) return col;
  return col + (WIDE.test(ch) ? 2 : 1);
}

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
  /** The terminal's column where the line typed began (after a prompt the program wrote). */
  #start = 0;

  constructor(sink: LineInputSink) {
    this.#sink = sink;
  }

  /** Whether the end of input was given (Ctrl-D on an empty line), or the program is gone (see close). */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * The program wrote `text` to the terminal: the line typed next begins where it left the cursor. Its escape
   * sequences (a coloured prompt's) take no column.
   */
  shown(text: string): void {
    let col = this.#start;
    for (const part of text.split(ESCAPE_SEQUENCE)) for (const ch of part) col = columnAfter(ch, col);
    this.#start = col;
  }

  /** The column after the line typed so far (its first `n` characters). */
  #column(n = this.#line.length): number {
    let col = this.#start;
    for (let i = 0; i < n; i++) col = columnAfter(this.#line[i]!, col);
    return col;
  }

  /** Erases, as shown, the columns from the line typed's end back to where it was at column `from`. */
  #erase(from: number): void {
    const n = from - this.#column();
    if (n > 0) this.#sink.echo("\b".repeat(n) + " ".repeat(n) + "\b".repeat(n));
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
          this.#start = 0;
          break;
        case "\x7f":
        case "\b": {
          // As many columns as the character took: two for a wide one, up to eight for a tab.
          const from = this.#column();
          const gone = this.#line.pop();
          if (gone === undefined) break;
          if (columnAfter(gone, from) !== from) {
            this.#erase(from);
            break;
          }
          // A combining mark: its character is shown again without it.
          let base = this.#line.length;
          while (base > 0 && columnAfter(this.#line[base - 1]!, 0) === 0) base--;
          base = Math.max(0, base - 1);
          const back = from - this.#column(base);
          if (back > 0) this.#sink.echo("\b".repeat(back) + this.#line.slice(base).join(""));
          break;
        }
        case "\x15": {
          const from = this.#column();
          this.#line = [];
          this.#erase(from);
          break;
        }
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
