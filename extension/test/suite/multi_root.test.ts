/**
 * Integration tests in a multi-root workspace (test/extension/multi_root, copied by the e2e script): folders "app",
 * with a launch.json, and "lib", without one, and a workspace file with launch configurations of its own.
 */

import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { CaptraceApi } from "../../src/extension.ts";
import { launchConfigs } from "../../src/commands.ts";
import type { SessionNode } from "../../src/trace_model.ts";
import { errorsShown, withWindow } from "./window_stubs.ts";

async function api(): Promise<CaptraceApi> {
  const ext = vscode.extensions.all.find((e) => e.packageJSON.name === "captrace");
  assert.ok(ext, "the captrace extension is installed");
  return (await ext.activate()) as CaptraceApi;
}

/** Runs launch configuration `name` with captrace.run and waits for its end; asserts its chown was denied. */
async function runDenied(name: string): Promise<SessionNode> {
  const { manager } = await api();
  const s = await vscode.commands.executeCommand<SessionNode | undefined>("captrace.run", name);
  assert.ok(s, "the trace started");
  await manager.done(s.id);
  assert.equal(s.state, "exited", JSON.stringify(s.errors));
  assert.equal(s.exitCode, 1);
  // deny exits 1 too when it finds no owned.txt: only a denied cap_chown shows it ran in the right folder.
  assert.ok([...s.processes.values()].some((p) => (p.capabilities.get(0)?.denied ?? 0) > 0), "cap_chown denied");
  return s;
}

/** The user's answers to Run's questions: the item picked, the command typed, the folder picked (undefined: dismissed). */
interface Answers {
  pick: string;
  input: string;
  folder: vscode.WorkspaceFolder | undefined;
}

/** Runs `act` with Run's pick, input box and folder pick answered as `answers` says; returns what it gave and asked. */
async function answering<T>(answers: Answers, act: () => Thenable<T>): Promise<{ result: T; asked: string[] }> {
  const asked: string[] = [];
  const answer = <A>(question: string, a: A) => {
    asked.push(question);
    return Promise.resolve(a);
  };
  const result = await withWindow({
    showQuickPick: async (items: readonly vscode.QuickPickItem[] | Thenable<readonly vscode.QuickPickItem[]>) =>
      answer("pick", (await items).find((i) => i.label.startsWith(answers.pick))),
    showInputBox: () => answer("input", answers.input),
    showWorkspaceFolderPick: () => answer("folder", answers.folder),
  }, act);
  return { result, asked };
}

suite("captrace extension in a multi-root workspace", () => {
  test("the workspace is the fixture: two folders, from a workspace file", () => {
    assert.deepEqual(vscode.workspace.workspaceFolders?.map((f) => f.name), ["app", "lib"]);
    assert.match(vscode.workspace.workspaceFile?.path ?? "", /multi\.code-workspace$/);
  });

  test("each launch configuration is listed once, with where it is written", () => {
    const listed = launchConfigs().map((c) => [c.config.name, c.where, c.folder?.name ?? null]);
    assert.deepEqual(listed, [
      ["deny (app)", "launch.json · app", "app"],
      ["deny after the default build task (none set)", "launch.json · app", "app"],
      ["deny (workspace file)", "workspace", null],
      ["deny (workspace file, unscoped)", "workspace", null],
    ]);
  });

  test("run of a folder's configuration resolves ${workspaceFolder} to that folder", async () => {
    await runDenied("deny (app)");
  });

  test("run of the workspace file's configuration resolves ${workspaceFolder:app}", async () => {
    await runDenied("deny (workspace file)");
  });

  test("a preLaunchTask of ${defaultBuildTask} with no default build task set runs nothing, and says why", async () => {
    const { model } = await api();
    const before = model.sessions.length;
    const { result: s, shown } = await errorsShown(() =>
      vscode.commands.executeCommand<SessionNode | undefined>(
        "captrace.run",
        "deny after the default build task (none set)",
      )
    );
    assert.equal(s, undefined);
    assert.equal(model.sessions.length, before);
    assert.deepEqual(shown, [
      "Captrace: The preLaunchTask ${defaultBuildTask} names the default build task, and none is set (Tasks: " +
      "Configure Default Build Task sets one); nothing was run.",
    ]);
  });

  test("a typed command runs in the folder picked, as a new terminal asks for one in a multi-root workspace", async () => {
    const { manager } = await api();
    const lib = vscode.workspace.workspaceFolders?.find((f) => f.name === "lib");
    assert.ok(lib, "folder lib");
    const { result: s, asked } = await answering(
      { pick: "Enter a command", input: "sh -c pwd", folder: lib },
      () => vscode.commands.executeCommand<SessionNode | undefined>("captrace.run"),
    );
    assert.deepEqual(asked, ["pick", "input", "folder"]);
    assert.ok(s, "the trace started");
    await manager.done(s.id);
    assert.equal(s.cwd, lib.uri.fsPath);
    assert.equal(s.exitCode, 0, JSON.stringify(s.errors));
  });

  test("a typed command whose folder pick is dismissed runs nothing", async () => {
    const { model } = await api();
    const before = model.sessions.length;
    const { result: s, asked } = await answering(
      { pick: "Enter a command", input: "sh -c pwd", folder: undefined },
      () => vscode.commands.executeCommand<SessionNode | undefined>("captrace.run"),
    );
    assert.deepEqual(asked, ["pick", "input", "folder"]);
    assert.equal(s, undefined);
    assert.equal(model.sessions.length, before);
  });

  test("run of the workspace file's configuration saying ${workspaceFolder} starts nothing, as F5 refuses it", async () => {
    const { model } = await api();
    const before = model.sessions.length;
    const s = await vscode.commands.executeCommand<SessionNode | undefined>(
      "captrace.run",
      "deny (workspace file, unscoped)",
    );
    assert.equal(s, undefined);
    assert.equal(model.sessions.length, before);
  });
});
