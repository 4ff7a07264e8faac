import assert from "node:assert/strict";
import { CaptraceError, ExitCode } from "./exit_codes.ts";
import { readBaseline } from "./baseline.ts";

Deno.test("a baseline longer than the most read is read from its end, where a trace's summary is", async () => {
  const file = await Deno.makeTempFile({ suffix: ".ndjson" });
  try {
    const check = JSON.stringify({ v: 1, type: "check", comm: "x".repeat(200) });
    const summary = JSON.stringify({ v: 1, type: "summary", recommendation: { capabilities: ["CAP_CHOWN"] } });
    await Deno.writeTextFile(file, `${check}\n`.repeat(100) + `${summary}\n`);
    assert.deepEqual(await readBaseline(file, 1024), ["CAP_CHOWN"]);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a baseline stream longer than the most read is refused, not read without end (exit 2)", async () => {
  await assert.rejects(readBaseline("/dev/zero", 1 << 20), (e: unknown) => {
    assert.ok(e instanceof CaptraceError);
    assert.equal(e.exitCode, ExitCode.USAGE);
    assert.match(e.message, /^The baseline '\/dev\/zero' is longer than 1,048,576 bytes, and has no end to read$/);
    return true;
  });
});

Deno.test("a list of names longer than the most read is read from its first whole line in its end", async () => {
  const file = await Deno.makeTempFile();
  try {
    // 1,024 bytes from the end fall inside a name: that line is left out, not read as "P_SETUID".
    await Deno.writeTextFile(file, "CAP_SETUID\n".repeat(200) + "CAP_CHOWN\n");
    assert.deepEqual([...new Set(await readBaseline(file, 1024))].sort(), ["CAP_CHOWN", "CAP_SETUID"]);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a list of names whose end to read begins with a line keeps that line", async () => {
  const file = await Deno.makeTempFile();
  try {
    // The last 19 bytes begin with CAP_CHOWN's line.
    await Deno.writeTextFile(file, "CAP_SETUID\nCAP_CHOWN\nCAP_KILL\n");
    assert.deepEqual(await readBaseline(file, 19), ["CAP_CHOWN", "CAP_KILL"]);
  } finally {
    await Deno.remove(file);
  }
});
