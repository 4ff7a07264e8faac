/**
 * Problems-panel entries for denied capabilities, one `set(uri, all)` per file: each command's latest trace's, moved
 * with the edits made to their files since the trace began.
 */

import * as vscode from "vscode";
import { diagnosticEntries, groupByFile, problemSessions } from "./diagnostic_entries.ts";
import { type LineChange, LineShifts } from "./line_shifts.ts";
import type { TraceModel } from "./trace_model.ts";

const UPDATE_MS = 500;

/** Owns the "captrace" diagnostic collection, and follows the edits of source files to keep its lines. */
export class Problems implements vscode.Disposable {
  readonly #collection = vscode.languages.createDiagnosticCollection(
    "captrace",
  );
  readonly #model: TraceModel;
  readonly #shifts = new LineShifts();
  /** The clock reading (see LineShifts) at which each session of the model was first seen: its trace's start. */
  readonly #since = new Map<number, number>();
  /** The files problems are shown on. */
  #files = new Set<string>();
  readonly #watches: vscode.Disposable[];
  #timer: ReturnType<typeof setTimeout> | null = null;

  /** Shows the problems of `model`'s sessions (see problemSessions): cleared sessions' go with them. */
  constructor(model: TraceModel) {
    this.#model = model;
    const touched = (file: string) => {
      if (this.#files.has(file)) this.scheduleUpdate();
    };
    this.#watches = [
      vscode.workspace.onDidChangeTextDocument((e) => {
        // No trace, nothing to move: edits are not kept.
        if (
          e.document.uri.scheme !== "file" || e.contentChanges.length === 0 ||
          this.#since.size === 0
        ) return;
        this.#shifts.change(
          e.document.uri.fsPath,
          e.contentChanges.map(_lineChange),
          e.document.lineCount,
        );
        touched(e.document.uri.fsPath);
      }),
      vscode.workspace.onDidSaveTextDocument((d) => this.#shifts.saved(d.uri.fsPath)),
      vscode.workspace.onDidCloseTextDocument((d) => {
        this.#shifts.closed(d.uri.fsPath);
        touched(d.uri.fsPath);
      }),
    ];
  }

  /** Recomputes soon; many calls become one. */
  scheduleUpdate(): void {
    this.#noteStarts();
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.update();
    }, UPDATE_MS);
  }

  /** Recomputes now. */
  update(): void {
    this.#noteStarts();
    this.#forgetEnded();
    const sessions = problemSessions(this.#model.sessions);
    const grouped = groupByFile(
      sessions.flatMap((s) => diagnosticEntries(s).map((e) => ({ ...e, line: this.lineNow(e.file, e.line, s.id) }))),
    );
    this.#files = new Set(grouped.keys());
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

  /** Where 1-based `line` of `file`, as the trace of session `id` saw it, is in the text now. */
  lineNow(file: string, line: number, id: number | undefined): number {
    const since = id === undefined ? undefined : this.#since.get(id);
    return since === undefined ? line : this.#shifts.line(file, line, since);
  }

  /** Notes when each new session began (called as soon as the model changes, not only when problems are made). */
  #noteStarts(): void {
    for (const s of this.#model.sessions) {
      if (!this.#since.has(s.id)) this.#since.set(s.id, this.#shifts.now);
    }
  }

  /** Forgets the sessions cleared, and the edits that no session left needs. */
  #forgetEnded(): void {
    const live = new Set(this.#model.sessions.map((s) => s.id));
    for (const id of [...this.#since.keys()]) {
      if (!live.has(id)) this.#since.delete(id);
    }
    this.#shifts.forgetBefore(Math.min(this.#shifts.now, ...this.#since.values()));
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    for (const w of this.#watches) w.dispose();
    this.#collection.dispose();
  }
}

/** An editor's change as LineShifts takes it. */
function _lineChange(c: vscode.TextDocumentContentChangeEvent): LineChange {
  let newLines = 0;
  for (let i = c.text.indexOf("\n"); i >= 0; i = c.text.indexOf("\n", i + 1)) {
    newLines++;
  }
  return {
    startLine: c.range.start.line,
    startColumn: c.range.start.character,
    endLine: c.range.end.line,
    newLines,
  };
}
