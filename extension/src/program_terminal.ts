/** A terminal showing the traced program's own stdout and stderr, separate from the trace. */

import * as vscode from "vscode";

/** A read-only pseudoterminal; Ctrl-C in it asks to stop the trace, as closing it does (a terminal's hangup). */
export class ProgramTerminal implements vscode.Disposable {
  readonly #write = new vscode.EventEmitter<string>();
  readonly #terminal: vscode.Terminal;
  #buffer: string[] | null = [];
  #disposed = false;

  constructor(name: string, onInterrupt: () => void) {
    const pty: vscode.Pseudoterminal = {
      onDidWrite: this.#write.event,
      open: () => {
        for (const t of this.#buffer ?? []) this.#write.fire(t);
        this.#buffer = null;
      },
      // Closed by the user while the program runs: it is stopped, as a terminal's hangup would end it.
      close: () => {
        if (!this.#disposed) onInterrupt();
      },
      handleInput: (data) => {
        if (data === "\x03") onInterrupt();
      },
    };
    this.#terminal = vscode.window.createTerminal({
      name,
      pty,
      isTransient: true,
    });
  }

  /** Shows the terminal without taking focus from the editor. */
  show(): void {
    this.#terminal.show(true);
  }

  /** Writes program output; bare newlines become CRLF, as a terminal needs. */
  write(text: string): void {
    const t = text.replace(/\r?\n/g, "\r\n");
    if (this.#buffer) this.#buffer.push(t);
    else this.#write.fire(t);
  }

  dispose(): void {
    this.#disposed = true;
    this.#write.dispose();
    this.#terminal.dispose();
  }
}
