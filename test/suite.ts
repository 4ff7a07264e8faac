/** Runs the whole quality ladder (fmt, lint, check, every test) and ends with one plain `N passed, N failed` line. */

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

/** Counts from a JUnit report: tests and failures (errors count as failures). */
function junitCounts(xml: string): { passed: number; failed: number } {
  const m = /<testsuites[^>]*\btests="(\d+)"[^>]*\bfailures="(\d+)"(?:[^>]*\berrors="(\d+)")?/.exec(xml);
  if (!m) return { passed: 0, failed: 1 };
  const failed = Number(m[2]) + Number(m[3] ?? 0);
  return { passed: Number(m[1]) - failed, failed };
}

let passed = 0;
let failed = 0;
const tally = (ok: boolean) => ok ? passed++ : failed++;

tally((await step("format", ["fmt", "--check"])).ok);
tally((await step("lint", ["lint"])).ok);
tally((await step("type check", ["check", "cli/", "shared/", "test/"])).ok);
const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks ?? {};
if (tasks["check:extension"]) tally((await step("extension type check", ["task", "check:extension"])).ok);

const junit = await Deno.makeTempFile({ suffix: ".xml" });
// The tests' temporary files go to a directory of their own, removed after them: some tests leave theirs (files
// owned by root that a traced nobody must not reach). Readable by all, as /tmp is, since nobody runs scripts there.
const tmp = await Deno.makeTempDir({ prefix: "captrace-suite-" });
await Deno.chmod(tmp, 0o755);
await step("tests", [
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
const counts = junitCounts(await Deno.readTextFile(junit).catch(() => ""));
await Deno.remove(junit).catch(() => {});
passed += counts.passed;
failed += counts.failed;

if (tasks["test:extension"]) {
  const ext = await step("extension end-to-end", ["task", "test:extension"]);
  const m = [...ext.out.matchAll(/^(\d+) passed, (\d+) failed/gm)].at(-1);
  if (m) {
    passed += Number(m[1]);
    failed += Number(m[2]) + (ext.ok ? 0 : Number(m[2]) === 0 ? 1 : 0);
  } else {
    failed++;
  }
}

console.log(`\nsuite: ${passed} passed, ${failed} failed`);
Deno.exit(failed === 0 ? 0 : 1);
