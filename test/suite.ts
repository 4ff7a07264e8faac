/** Runs the whole quality ladder (fmt, lint, check, every test) and ends with one plain `N passed, N failed` line. */

import { junitCounts, type JunitFailure, junitFailures, junitSkipped } from "./junit.ts";

const ROOT = new URL("..", import.meta.url).pathname;

async function step(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ ok: boolean; out: string }> {
  console.error(`\n=== ${name}: deno ${args.join(" ")}`);
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    env,
  }).spawn();
  let out = "";
  const dec = new TextDecoder();
  for await (const chunk of child.stdout) {
    const text = dec.decode(chunk, { stream: true });
    out += text;
    await Deno.stdout.write(chunk);
  }
  return { ok: (await child.status).success, out };
}

let passed = 0;
let failed = 0;
/** What failed, named again at the end: CI logs are often shown only in part, and the tests' own report is mid-way. */
const failedNames: string[] = [];
const tally = (name: string, ok: boolean) => {
  if (ok) return passed++;
  failedNames.push(name);
  return failed++;
};

tally("deno fmt --check", (await step("format", ["fmt", "--check"])).ok);
tally("deno lint", (await step("lint", ["lint"])).ok);
tally("deno check", (await step("type check", ["check", "cli/", "shared/", "test/"])).ok);
const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks ?? {};
if (tasks["check:extension"]) {
  tally("deno task check:extension", (await step("extension type check", ["task", "check:extension"])).ok);
}

const junit = await Deno.makeTempFile({ suffix: ".xml" });
// The tests' temporary files go to a directory of their own, removed after them: some tests leave theirs (files
// owned by root that a traced nobody must not reach). Readable by all, as /tmp is, since nobody runs scripts there.
const tmp = await Deno.makeTempDir({ prefix: "captrace-suite-" });
await Deno.chmod(tmp, 0o755);
const tests = await step("tests", [
  "test",
  "--allow-all",
  "--doc",
  `--junit-path=${junit}`,
  "shared/",
  "cli/",
  "test/",
  "extension/src/",
], {
  TZ: "UTC",
  TMPDIR: tmp,
});
await Deno.remove(tmp, { recursive: true }).catch((e) => console.error(`suite: cannot remove ${tmp}: ${e.message}`));
const report = await Deno.readTextFile(junit).catch(() => "");
await Deno.remove(junit).catch(() => {});
const counts = junitCounts(report);
passed += counts.passed;
// An ignored test is not a passed one: it fails the suite, named.
failed += counts.failed + counts.skipped;
failedNames.push(...junitSkipped(report).map((t) => `ignored: ${t}`));
const testFailures = junitFailures(report);
if (counts.failed > 0 && testFailures.length === 0) failedNames.push("deno test (no report of which test failed)");
// What the report leaves out: a test file that did not load, an error thrown outside any test.
// deno-lint-ignore no-control-regex -- deno test's colours, taken out before its lines are read
const plain = tests.out.replace(/\x1b\[[0-9;]*m/g, "");
const uncaught = [...plain.matchAll(/^Uncaught error from (\S+) FAILED/gm)].map((m) => `${m[1]} (uncaught error)`);
failed += uncaught.length;
failedNames.push(...uncaught);
if (!tests.ok && counts.failed === 0 && uncaught.length === 0) {
  failed++;
  failedNames.push("deno test failed outside its tests: see its output");
}

if (tasks["test:extension"]) {
  const ext = await step("extension end-to-end", ["task", "test:extension"]);
  const m = [...ext.out.matchAll(/^(\d+) passed, (\d+) failed/gm)].at(-1);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]) + (ext.ok ? 0 : Number(m[2]) === 0 ? 1 : 0);
  } else {
    failed++;
  }
  const extFailures = [...ext.out.matchAll(/^FAIL +(.+)$/gm)].map((f) => f[1]!);
  if (!ext.ok || extFailures.length > 0) {
    failedNames.push(...extFailures, ...(extFailures.length ? [] : ["extension end-to-end"]));
  }
}

// Last, and short, since a log is often shown only by its start and end: why each test failed, then what failed.
if (testFailures.length > 0) console.log(`\n${failureDetails(testFailures)}`);
if (failed > 0) console.log(`\n${failureList(failedNames, testFailures)}`);
console.log(`\nsuite: Linux ${Deno.osRelease()}, ${navigator.hardwareConcurrency} CPUs, run in ${ROOT}`);
console.log(`suite: ${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);

/** Each failed test with the first lines of its failure. */
function failureDetails(tests: JunitFailure[]): string {
  const lines = ["=== why they failed"];
  for (const t of tests) {
    lines.push(`--- ${t.name} (${t.file}:${t.line})`);
    const why = t.message.split("\n");
    lines.push(...why.slice(0, 25).map((l) => `  ${l}`));
    if (why.length > 25) lines.push(`  (${why.length - 25} more lines in the tests' output above)`);
  }
  return lines.join("\n");
}

/** One line per failed step or test. */
function failureList(steps: string[], tests: JunitFailure[]): string {
  return ["=== failed", ...steps, ...tests.map((t) => `${t.name} (${t.file}:${t.line})`)].join("\n");
}
