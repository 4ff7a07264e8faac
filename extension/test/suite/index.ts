/** Mocha entry point that VS Code's extension host calls (`extensionTestsPath`); it reports `N passed, N failed`. */

import * as path from "node:path";
import Mocha from "mocha";

/** Runs the suite; rejects when a test failed so the host reports a failure exit. */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: "tdd", timeout: 60_000, color: false });
  mocha.addFile(path.join(__dirname, "extension.test.js"));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      const passed = runner.stats?.passes ?? 0;
      console.log(`captrace-suite: ${passed} passed, ${failures} failed`);
      if (failures > 0) reject(new Error(`${failures} tests failed`));
      else resolve();
    });
  });
}
