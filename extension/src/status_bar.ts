/** A status bar item while tracing: allowed and denied counts; a click shows the tree. */

import * as vscode from "vscode";
import type { TraceModel } from "./trace_model.ts";

/** Shows the counts of running sessions, hides itself when none runs. */
export class TraceStatusBar implements vscode.Disposable {
  readonly #item = vscode.window.createStatusBarItem(
    "captrace.status",
    vscode.StatusBarAlignment.Left,
    10,
  );
  readonly #model: TraceModel;

  constructor(model: TraceModel) {
    this.#model = model;
    this.#item.name = "Captrace";
    this.#item.command = "captrace.tree.focus";
  }

  /** Re-reads the model. */
  update(): void {
    const running = this.#model.sessions.filter((s) => s.state === "running" || s.state === "starting");
    void vscode.commands.executeCommand(
      "setContext",
      "captrace.tracing",
      running.length > 0,
    );
    if (running.length === 0) {
      this.#item.hide();
      return;
    }
    const allowed = running.reduce((n, s) => n + s.allowed, 0);
    const denied = running.reduce((n, s) => n + s.denied, 0);
    this.#item.text = `$(shield) ${allowed} $(error) ${denied}`;
    this.#item.tooltip = `Captrace: ${running.length} trace(s) running, ${allowed} checks allowed, ${denied} denied`;
    this.#item.backgroundColor = denied > 0 ? new vscode.ThemeColor("statusBarItem.warningBackground") : undefined;
    this.#item.show();
  }

  dispose(): void {
    this.#item.dispose();
  }
}
