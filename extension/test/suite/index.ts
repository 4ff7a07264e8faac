/**
 * Mocha entry point that VS Code's extension host calls (`extensionTestsPath`); it reports `N passed, N failed`.
 * Opened on a multi-root workspace (a .code-workspace file) it runs that workspace's tests, else the main suite.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import Mocha from "mocha";
import * as vscode from "vscode";

/** Resolves once the workspace has folders, or after `ms` (a window may get a workspace file's folders late). */
function _folders(ms: number): Promise<void> {
  if ((vscode.workspace.workspaceFolders ?? []).length > 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    const sub = vscode.workspace.onDidChangeWorkspaceFolders(done);
    function done() {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    }
  });
}

/** Runs the suite; rejects when a test failed so the host reports a failure exit. */
export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: "tdd", timeout: 60_000, color: false });
  const multiRoot = vscode.workspace.workspaceFile?.path.endsWith(".code-workspace") === true;
  if (multiRoot) await _folders(20_000);
  mocha.addFile(path.join(__dirname, multiRoot ? "multi_root.test.js" : "extension.test.js"));
  const failed: string[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      console.log(`captrace-suite: ${passed} passed, ${failures} failed`);
      // The e2e driver reads the counts from this file (the host's console is not always forwarded).
      const out = process.env.CAPTRACE_SUITE_RESULT;
      if (out) {
        fs.writeFileSync(
          multiRoot ? out.replace(/\.json$/, "-multi-root.json") : out,
          JSON.stringify({ passed, failed: failures, failures: failed }),
        );
      }
      if (failures > 0) reject(new Error(`${failures} tests failed`));
      else resolve();
    });
    runner.on(
      "fail",
      (t, err) => failed.push(`${t.fullTitle()}: ${(err as Error).message}`),
    );
  });
}
