/** Problems-panel entries for denied capabilities of the latest trace, one `set(uri, all)` per file. */

import * as vscode from "vscode";
import { diagnosticEntries, groupByFile } from "./diagnostic_entries.ts";
import type { SessionNode } from "./trace_model.ts";

const UPDATE_MS = 500;

/** Owns the "captrace" diagnostic collection. */
export class Problems implements vscode.Disposable {
  readonly #collection = vscode.languages.createDiagnosticCollection(
    "captrace",
  );
  #session: SessionNode | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Shows the problems of this session from now on, replacing those of any earlier session. */
  follow(session: SessionNode): void {
    this.#session = session;
    this.#collection.clear();
    this.scheduleUpdate();
  }

  /** Removes every problem. */
  clear(): void {
    this.#session = null;
    this.#collection.clear();
  }

  /** Recomputes soon; many calls become one. */
  scheduleUpdate(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.update();
    }, UPDATE_MS);
  }

  /** Recomputes now. */
  update(): void {
    if (!this.#session) return;
    const grouped = groupByFile(diagnosticEntries(this.#session));
    this.#collection.clear();
    for (const [file, entries] of grouped) {
      this.#collection.set(
        vscode.Uri.file(file),
        entries.map((e) => {
          const line = Math.max(0, e.line - 1);
          const d = new vscode.Diagnostic(
            new vscode.Range(line, 0, line, 1000),
            e.message,
            vscode.DiagnosticSeverity.Warning,
          );
          d.source = "captrace";
          d.code = { value: e.code, target: vscode.Uri.parse(e.url) };
          return d;
        }),
      );
    }
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#collection.dispose();
  }
}
