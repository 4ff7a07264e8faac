/** Problems-panel entries for denied capabilities, one `set(uri, all)` per file: each command's latest trace's. */

import * as vscode from "vscode";
import { diagnosticEntries, groupByFile, problemSessions } from "./diagnostic_entries.ts";
import type { TraceModel } from "./trace_model.ts";

const UPDATE_MS = 500;

/** Owns the "captrace" diagnostic collection. */
export class Problems implements vscode.Disposable {
  readonly #collection = vscode.languages.createDiagnosticCollection(
    "captrace",
  );
  readonly #model: TraceModel;
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Shows the problems of `model`'s sessions (see problemSessions): cleared sessions' go with them. */
  constructor(model: TraceModel) {
    this.#model = model;
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
    const grouped = groupByFile(
      problemSessions(this.#model.sessions).flatMap(diagnosticEntries),
    );
    this.#collection.clear();
    for (const [file, entries] of grouped) {
      this.#collection.set(
        vscode.Uri.file(file),
        entries.map((e) => {
          const line = Math.max(0, e.line - 1);
          const d = new vscode.Diagnostic(
            new vscode.Range(line, 0, line, 1000),
            e.message,
            e.needed ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Information,
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
