/** Tests of programFile and ProgramFiles against real files and a real process. */

import assert from "node:assert/strict";
import { programFile, ProgramFiles } from "./program_files.ts";

async function _dir(): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "captrace-test-programs-" }));
  await Deno.writeTextFile(`${dir}/tool`, "\x7fELF not really");
  await Deno.writeTextFile(`${dir}/run.sh`, "#!/bin/sh\nexit 0\n");
  await Deno.symlink(`${dir}/tool`, `${dir}/link`);
  return dir;
}

Deno.test("programFile resolves links and tells scripts from binaries", async () => {
  const dir = await _dir();
  try {
    assert.deepEqual(await programFile(`${dir}/link`), { path: `${dir}/tool`, script: false });
    assert.deepEqual(await programFile(`${dir}/run.sh`), { path: `${dir}/run.sh`, script: true });
    assert.deepEqual(await programFile(`${dir}/missing`), { path: `${dir}/missing`, script: false });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("programFile resolves a relative path in the working directory of the first process that has it", async () => {
  const dir = await _dir();
  const child = new Deno.Command("sleep", { args: ["30"], cwd: dir, stdout: "null", stderr: "null" }).spawn();
  try {
    assert.deepEqual(await programFile("./run.sh", [child.pid]), { path: `${dir}/run.sh`, script: true });
    assert.deepEqual(await programFile("link", [999999999, child.pid]), { path: `${dir}/tool`, script: false });
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
  // Once the processes are gone, a relative path cannot be placed: it is kept as given.
  assert.deepEqual(await programFile("./run.sh", [child.pid]), { path: "./run.sh", script: false });
});

Deno.test("ProgramFiles records an exec at once and its resolved file once settled", async () => {
  const dir = await _dir();
  try {
    const files = new ProgramFiles({ path: "/bin/sh", script: false });
    files.exec(100, 1, `${dir}/run.sh`);
    assert.equal(files.map.programOf(100).path, `${dir}/run.sh`, "known before it is resolved");
    await files.settled();
    assert.deepEqual(files.map.programOf(100), { path: `${dir}/run.sh`, script: true });
    files.exec(101, 100, `${dir}/link`);
    await files.settled();
    assert.equal(files.map.programOf(101).path, `${dir}/tool`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
