/** A launch configuration's preLaunchTask, run before Run with Capability Trace starts its program, as F5 would. */

import * as vscode from "vscode";

/** The preLaunchTask that names the default build task (tasks.json's `"group": {"kind": "build", "isDefault": true}`). */
const DEFAULT_BUILD_TASK = "${defaultBuildTask}";

/**
 * Runs the task named `name` (a tasks.json label, "source: label", or `${defaultBuildTask}`; that of workspace folder
 * `folder` first) and waits for its end, with a notification that can cancel it. Returns null when it succeeded, else
 * why not, in a sentence.
 */
export async function runPreLaunchTask(name: string, folder?: string): Promise<string | null> {
  const tasks = await vscode.tasks.fetchTasks();
  const ours = (t: vscode.Task) => folder !== undefined && typeof t.scope === "object" && t.scope.uri.fsPath === folder;
  // The default build task of the configuration's folder or of the workspace file, as F5 resolves it: not another
  // folder's.
  const named = name === DEFAULT_BUILD_TASK
    ? (t: vscode.Task) =>
      t.group?.id === vscode.TaskGroup.Build.id && t.group.isDefault === true &&
      (folder === undefined || ours(t) || t.scope === vscode.TaskScope.Workspace)
    : (t: vscode.Task) => t.name === name || `${t.source}: ${t.name}` === name;
  // The launch configuration's folder's, as F5 takes it; else any tasks.json's; else an auto-detected one.
  const task = tasks.find((t) => named(t) && ours(t)) ?? tasks.find((t) => named(t) && t.source === "Workspace") ??
    tasks.find(named);
  if (!task && name === DEFAULT_BUILD_TASK) {
    return `The preLaunchTask ${name} names the default build task, and none is set (Tasks: Configure Default Build ` +
      "Task sets one)";
  }
  if (!task) return `The preLaunchTask ${JSON.stringify(name)} was not found in tasks.json`;
  // Named as F5 names it: the default build task by its label.
  const shown = name === DEFAULT_BUILD_TASK ? `${name} (${JSON.stringify(task.name)})` : JSON.stringify(name);
  // A background task (a watcher) never ends: F5 waits on its problem matcher, which this does not read.
  if (task.isBackground) return `The preLaunchTask ${shown} runs in the background; start it first`;
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
      { location: vscode.ProgressLocation.Notification, title: `Captrace: running ${task.name}…`, cancellable: true },
      async (_progress, cancel) => {
        execution = await vscode.tasks.executeTask(task);
        const cancelled = new Promise<"cancelled">((resolve) =>
          subscriptions.push(cancel.onCancellationRequested(() => resolve("cancelled")))
        );
        const code = await Promise.race([ended, cancelled]);
        if (code === "cancelled") {
          execution.terminate();
          return `The preLaunchTask ${shown} was cancelled`;
        }
        return code === undefined || code === 0 ? null : `The preLaunchTask ${shown} failed (exit ${code})`;
      },
    );
  } finally {
    for (const s of subscriptions) s.dispose();
  }
}
