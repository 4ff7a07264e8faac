/** A launch configuration's preLaunchTask, run before Run with Capability Trace starts its program, as F5 would. */

import * as vscode from "vscode";

/**
 * Runs the task named `name` (a tasks.json label, or "source: label"; that of workspace folder `folder` first) and
 * waits for its end, with a notification that can cancel it. Returns null when it succeeded, else why not, in a
 * sentence.
 */
export async function runPreLaunchTask(name: string, folder?: string): Promise<string | null> {
  const tasks = await vscode.tasks.fetchTasks();
  const named = (t: vscode.Task) => t.name === name || `${t.source}: ${t.name}` === name;
  // The launch configuration's folder's, as F5 takes it; else any tasks.json's; else an auto-detected one.
  const ours = (t: vscode.Task) => folder !== undefined && typeof t.scope === "object" && t.scope.uri.fsPath === folder;
  const task = tasks.find((t) => named(t) && ours(t)) ?? tasks.find((t) => named(t) && t.source === "Workspace") ??
    tasks.find(named);
  if (!task) return `The preLaunchTask ${JSON.stringify(name)} was not found in tasks.json`;
  // A background task (a watcher) never ends: F5 waits on its problem matcher, which this does not read.
  if (task.isBackground) return `The preLaunchTask ${JSON.stringify(name)} runs in the background; start it first`;
  let execution: vscode.TaskExecution | undefined;
  const subscriptions: vscode.Disposable[] = [];
  const ended = new Promise<number | undefined>((resolve) => {
    subscriptions.push(
      vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution === execution) resolve(e.exitCode);
      }),
      // A task with no process of its own ends without an exit code.
      vscode.tasks.onDidEndTask((e) => {
        if (e.execution === execution) setTimeout(() => resolve(undefined), 100);
      }),
    );
  });
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Captrace: running ${name}…`, cancellable: true },
      async (_progress, cancel) => {
        execution = await vscode.tasks.executeTask(task);
        const cancelled = new Promise<"cancelled">((resolve) =>
          subscriptions.push(cancel.onCancellationRequested(() => resolve("cancelled")))
        );
        const code = await Promise.race([ended, cancelled]);
        if (code === "cancelled") {
          execution.terminate();
          return `The preLaunchTask ${JSON.stringify(name)} was cancelled`;
        }
        return code === undefined || code === 0
          ? null
          : `The preLaunchTask ${JSON.stringify(name)} failed (exit ${code})`;
      },
    );
  } finally {
    for (const s of subscriptions) s.dispose();
  }
}
