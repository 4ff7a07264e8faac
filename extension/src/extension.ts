/** Entry point: activate() only builds the adapters and registers them; deactivate() stops every trace. */

import * as vscode from "vscode";
import { attachCommand, copyRecommendation, debugCommand, runCommand, stopCommand } from "./commands.ts";
import { DebugTracing } from "./debug_tracing.ts";
import { Problems } from "./problems.ts";
import { TraceStatusBar } from "./status_bar.ts";
import { TraceManager } from "./trace_manager.ts";
import { TraceModel } from "./trace_model.ts";
import { CaptraceTree, openSite } from "./tree_view.ts";

/** What activate() returns; the integration tests read it. */
export interface CaptraceApi {
  model: TraceModel;
  manager: TraceManager;
  debug: DebugTracing;
  problems: Problems;
  tree: CaptraceTree;
}

let manager: TraceManager | undefined;

/** Builds the adapters and wires them together. */
export function activate(context: vscode.ExtensionContext): CaptraceApi {
  const log = vscode.window.createOutputChannel("Captrace Log", { log: true });
  const output = vscode.window.createOutputChannel("Captrace");
  const model = new TraceModel();
  const tree = new CaptraceTree(model);
  const view = vscode.window.createTreeView("captrace.tree", {
    treeDataProvider: tree,
    showCollapseAll: true,
  });
  const problems = new Problems(model);
  const status = new TraceStatusBar(model);
  manager = new TraceManager(model, output, log, context.extensionPath);
  const m = manager;
  const debug = new DebugTracing(m, log);

  const onStart = () => output.show(true);
  const updateNow = () => {
    tree.scheduleRefresh();
    problems.scheduleUpdate();
    status.update();
    const latest = model.sessions.at(-1);
    // Kept after the end of a trace that saw no check: a short debuggee may have made its checks before the attach.
    view.message = latest?.note &&
        (latest.state === "running" || latest.state === "starting" ||
          (latest.state === "exited" && latest.allowed + latest.denied === 0))
      ? latest.note
      : "";
  };
  // Events can arrive by the thousand per second: views are updated at most four times a second.
  let viewTimer: ReturnType<typeof setTimeout> | undefined;
  const updateViews = () => {
    if (viewTimer) return;
    viewTimer = setTimeout(() => {
      viewTimer = undefined;
      updateNow();
    }, 250);
  };

  context.subscriptions.push(
    log,
    output,
    tree,
    view,
    problems,
    status,
    m,
    debug,
    m.onDidChange(() => updateViews()),
    vscode.commands.registerCommand(
      "captrace.run",
      (name?: unknown) => runCommand(m, onStart, name),
    ),
    vscode.commands.registerCommand(
      "captrace.debug",
      (name?: unknown) => debugCommand(debug, name),
    ),
    vscode.commands.registerCommand(
      "captrace.attach",
      (pid?: unknown) => attachCommand(m, onStart, pid),
    ),
    vscode.commands.registerCommand("captrace.stop", (node?: unknown) => stopCommand(m, model, node)),
    vscode.commands.registerCommand("captrace.clear", () => {
      // Running traces stay, with their problems.
      model.clearFinished();
      m.closeFinishedTerminals();
      output.clear();
      updateNow();
    }),
    vscode.commands.registerCommand(
      "captrace.copyRecommendation",
      (node?: unknown, format?: unknown) => copyRecommendation(model, node, format),
    ),
    vscode.commands.registerCommand(
      "captrace.openSite",
      (file: string, line: number, session?: number) => openSite(file, problems.lineNow(file, line, session)),
    ),
  );
  context.subscriptions.push({ dispose: () => clearTimeout(viewTimer) });
  status.update();
  log.info("Captrace activated");
  return { model, manager: m, debug, problems, tree };
}

/** Stops every running trace and waits for them to end. */
export async function deactivate(): Promise<void> {
  await manager?.stopAll();
}
