/** A launch configuration's preLaunchTask, run before Run with Capability Trace starts its program, as F5 would. */

import * as vscode from "vscode";

/**
 * Runs the task named `name` (a tasks.json label, or "source: label") and waits for its end. Returns null when it
 * succeeded, else why not, in a sentence.
 */
export async function runPreLaunchTask(name: string): Promise<string | null> {
  const tasks = await vscode.tasks.fetchTasks();
  const task = tasks.find((t) => t.name === name) ?? tasks.find((t) => `${t.source}: ${t.name}` === name);
  if (!task) return `The preLaunchTask ${JSON.stringify(name)} was not found in tasks.json`;
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
    execution = await vscode.tasks.executeTask(task);
    const code = await ended;
    return code === undefined || code === 0 ? null : `The preLaunchTask ${JSON.stringify(name)} failed (exit ${code})`;
  } finally {
    for (const s of subscriptions) s.dispose();
  }
}
