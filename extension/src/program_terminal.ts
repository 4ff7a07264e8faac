/** A terminal for the traced program: its own stdout and stderr, separate from the trace, and its input. */

import * as vscode from "vscode";
import { LineInput } from "./line_input.ts";
import { noteText } from "./terminal_note.ts";

/** What the terminal's keys do to the traced program. */
export interface ProgramTerminalInput {
  /** Ctrl-C. */
  interrupt(): void;
  /** The terminal closed (a terminal's hangup): stop the trace. */
  hangup(): void;
  /** A line typed (or given with Ctrl-D) for the program's stdin. */
  input(text: string): void;
  /** Ctrl-D on an empty line: the end of the program's stdin. */
  endInput(): void;
}

/**
 * A pseudoterminal that shows the program's output and takes lines for its stdin (a pipe, not a tty), echoing and
 * editing them as a terminal would; Ctrl-C in it is the program's (captrace passes it on), and closing it stops the trace.
 */
export class ProgramTerminal implements vscode.Disposable {
  readonly #write = new vscode.EventEmitter<string>();
  readonly #terminal: vscode.Terminal;
  readonly #keys: LineInput;
  #buffer: string[] | null = [];
  #disposed = false;
  #closed = false;

  constructor(name: string, to: ProgramTerminalInput) {
    this.#keys = new LineInput({
      echo: (text) => this.#show(text),
      send: (text) => to.input(text),
      end: () => to.endInput(),
      interrupt: () => to.interrupt(),
    });
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.#write.event,
      open: () => {
        for (const t of this.#buffer ?? []) this.#write.fire(t);
        this.#buffer = null;
      },
      // Closed by the user while the program runs: it is stopped, as a terminal's hangup would end it.
      close: () => {
        this.#closed = true;
        if (!this.#disposed) to.hangup();
      },
      // Keys typed, and Terminal.sendText.
      handleInput: (data) => this.#keys.take(data),
    };
    this.#terminal = vscode.window.createTerminal({
      name,
      pty,
      isTransient: true,
    });
  }

  /** The program ended: keys typed are no longer taken (nor echoed). */
  closeInput(): void {
    this.#keys.close();
  }

  /** The terminal's name, as its tab shows it. */
  get name(): string {
    return this.#terminal.name;
  }

  /** True once the user closed the terminal: there is nothing left to keep open. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Writes program output; bare newlines become CRLF, as a terminal needs. */
  write(text: string): void {
    // Where it leaves the cursor is where the line typed next begins (after a prompt), for erasing it.
    this.#keys.shown(text);
    if (text !== "") this.#last = text.slice(-1);
    this.#show(text.replace(/\r?\n/g, "\r\n"));
  }

  /**
   * Writes a line of the extension's own (`[captrace exited with 0]`): on a line of its own, in the terminal's own
   * colours, whatever the program's output left (a last line without its newline, a colour never reset).
   */
  note(line: string): void {
    this.write(noteText(this.#last, line));
  }

  /** The last character of the output so far, "" for none. */
  #last = "";

  #show(text: string): void {
    if (this.#buffer) this.#buffer.push(text);
    else this.#write.fire(text);
  }

  dispose(): void {
    this.#disposed = true;
    this.#write.dispose();
    this.#terminal.dispose();
  }
}
