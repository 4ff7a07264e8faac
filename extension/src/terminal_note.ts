/** The extension's own lines in a program's terminal (`[captrace exited with 0]`), set apart from the program's. */

/** SGR reset: the terminal's default colours and attributes. */
const RESET = "\x1b[0m";

/**
 * The text that writes `line` on a line of its own, in the terminal's own colours, after output that ended with
 * `last` (its last character, "" for none): a program's last line without its newline, or a colour it never reset,
 * leaves nothing on it.
 *
 * @example
 * ```ts
 * import { noteText } from "./terminal_note.ts";
 * if (noteText("x", "[done]") !== "\x1b[0m\n[done]\n") throw new Error("unexpected");
 * ```
 */
export function noteText(last: string, line: string): string {
  return `${RESET}${last === "" || last === "\n" ? "" : "\n"}${line}\n`;
}
