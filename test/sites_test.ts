/** Real kernel, real bpftrace: --sites resolves denied checks in C fixtures built with gcc to exact file:line. */

import assert from "node:assert/strict";
import type { CheckEvent } from "../shared/event.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const FIXTURES = `${ROOT}test/fixtures`;

/** Fails loudly (never skips): these tests are the proof that --sites works on a real kernel. */
async function _requireKernel(): Promise<void> {
  if (Deno.uid() !== 0) throw new Error("The --sites kernel tests must run as root (bpftrace loads BPF programs)");
  for (const tool of ["bpftrace", "gcc", "readelf", "addr2line", "strip", "setpriv"]) {
    const ok = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" }).output()
      .then((r) => r.success);
    if (!ok) throw new Error(`${tool} is missing: run test/install_deps.sh (bpftrace, binutils, gcc)`);
  }
}

/** The line holding `/* site: NAME *\/` in a fixture source. */
function siteLine(source: string, name: string): number {
  const lines = Deno.readTextFileSync(`${FIXTURES}/${source}`).split("\n");
  const i = lines.findIndex((l) => l.includes(`/* site: ${name} */`));
  if (i < 0) throw new Error(`No site marker '${name}' in ${source}`);
  return i + 1;
}

async function _sh(cmd: string, args: string[]): Promise<void> {
  const r = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(r.stderr)}`);
}

/** Builds every fixture variant into a fresh directory that nobody can read and run. */
async function _build(): Promise<string> {
  await _requireKernel();
  const dir = await Deno.makeTempDir({ prefix: "captrace-sites-" });
  await Deno.chmod(dir, 0o755);
  const jobs: Promise<void>[] = [];
  for (const name of ["site_raw_socket", "site_setuid", "site_chown_twice", "site_threads"]) {
    for (const opt of ["O0", "O2"]) {
      jobs.push(_sh("gcc", ["-g", `-${opt}`, "-pthread", "-o", `${dir}/${name}_${opt}`, `${FIXTURES}/${name}.c`]));
    }
  }
  jobs.push(_sh("gcc", ["-g", "-O0", "-no-pie", "-o", `${dir}/site_setuid_nopie`, `${FIXTURES}/site_setuid.c`]));
  for (const name of ["site_stale", "site_callback"]) {
    jobs.push(_sh("gcc", ["-g", "-O0", "-o", `${dir}/${name}_O0`, `${FIXTURES}/${name}.c`]));
    jobs.push(_sh("gcc", ["-g", "-O0", "-fno-plt", "-o", `${dir}/${name}_noplt`, `${FIXTURES}/${name}.c`]));
  }
  jobs.push(_sh("gcc", ["-g", "-O2", "-static", "-o", `${dir}/site_setuid_static`, `${FIXTURES}/site_setuid.c`]));
  jobs.push(_sh("gcc", ["-O0", "-o", `${dir}/site_chown_nodebug`, `${FIXTURES}/site_chown_twice.c`]));
  jobs.push(
    _sh("gcc", ["-g", "-O0", "-o", `${dir}/site_chown_stripped`, `${FIXTURES}/site_chown_twice.c`])
      .then(() => _sh("strip", [`${dir}/site_chown_stripped`])),
  );
  await Promise.all(jobs);
  // A root-owned file: nobody's chown of it is a denied cap_chown.
  await Deno.writeTextFile(`${dir}/owned-by-root`, "");
  // A script: its shell's own check carries the script; its child resolves through the exec record.
  await Deno.writeTextFile(
    `${dir}/script.sh`,
    `#!/bin/sh\necho x > /root/captrace-sites-denied 2>/dev/null\n${dir}/site_setuid_O0\n`,
  );
  await Deno.chmod(`${dir}/script.sh`, 0o755);
  return dir;
}

let _dir: Promise<string> | null = null;
const fixtures = () => _dir ??= _build();

globalThis.addEventListener("unload", () => {
  if (_dir) _dir.then((d) => Deno.removeSync(d, { recursive: true })).catch(() => {});
});

interface Run {
  code: number;
  checks: CheckEvent[];
  stderr: string;
}

/** Runs the real CLI as the compiled binary would: `cli/main.ts --sites -u nobody [--json] -- argv…`. */
async function captrace(argv: string[], json = true, env: Record<string, string> = {}): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    env,
    args: [
      "run",
      "--allow-all",
      `${ROOT}cli/main.ts`,
      "--sites",
      "-u",
      "nobody",
      ...(json ? ["--json"] : []),
      "--",
      ...argv,
    ],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const checks = stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
    .filter((e) => e.type === "check" && e.audit) as CheckEvent[];
  return { code: out.code, checks, stderr };
}

function denied(run: Run, cap: string): CheckEvent[] {
  const found = run.checks.filter((c) => c.cap_name === cap && c.verdict === "denied");
  assert.ok(found.length > 0, `no denied ${cap} in:\n${run.stderr}`);
  return found;
}

function assertSite(c: CheckEvent, binary: string, source: string, marker: string, fn: string): void {
  assert.equal(c.site_reason, null, `reason: ${c.site_reason}`);
  assert.equal(c.site?.binary, binary);
  assert.match(c.site?.address ?? "", /^0x[0-9a-f]+$/);
  assert.equal(c.site?.file, `${FIXTURES}/${source}`);
  assert.equal(c.site?.line, siteLine(source, marker));
  assert.equal(c.site?.function, fn);
  assert.equal(c.script, null);
}

for (const opt of ["O0", "O2"]) {
  Deno.test(`sites: raw socket from a named function (-${opt}, PIE) is the socket() line`, async () => {
    const dir = await fixtures();
    const run = await captrace([`${dir}/site_raw_socket_${opt}`]);
    const [c] = denied(run, "cap_net_raw");
    // At -O2 open_raw_socket is inlined into main; the innermost frame still names it and its line.
    assertSite(c!, `${dir}/site_raw_socket_${opt}`, "site_raw_socket.c", "raw", "open_raw_socket");
  });

  Deno.test(`sites: setuid(0) as nobody (-${opt}, PIE) is the setuid() line`, async () => {
    const dir = await fixtures();
    const [c] = denied(await captrace([`${dir}/site_setuid_${opt}`]), "cap_setuid");
    assertSite(c!, `${dir}/site_setuid_${opt}`, "site_setuid.c", "setuid", "main");
  });

  Deno.test(`sites: each thread's check resolves to its own function (-${opt})`, async () => {
    const dir = await fixtures();
    const run = await captrace([`${dir}/site_threads_${opt}`, `${dir}/owned-by-root`]);
    const [raw] = denied(run, "cap_net_raw");
    const [chown] = denied(run, "cap_chown");
    assert.notEqual(raw!.tid, raw!.pid);
    assert.notEqual(chown!.tid, chown!.pid);
    assert.notEqual(raw!.tid, chown!.tid);
    assertSite(raw!, `${dir}/site_threads_${opt}`, "site_threads.c", "thread-raw", "raw_worker");
    assertSite(chown!, `${dir}/site_threads_${opt}`, "site_threads.c", "thread-chown", "chown_worker");
  });
}

Deno.test("sites: chown in a helper called twice (-O0): both checks at the helper's chown line", async () => {
  const dir = await fixtures();
  const run = await captrace([`${dir}/site_chown_twice_O0`, `${dir}/owned-by-root`]);
  const checks = denied(run, "cap_chown");
  assert.equal(checks.length, 2);
  for (const c of checks) {
    assertSite(c, `${dir}/site_chown_twice_O0`, "site_chown_twice.c", "helper", "give_to_root");
  }
  assert.equal(checks[0]!.site?.address, checks[1]!.site?.address);
});

Deno.test("sites: chown in a helper called twice (-O2): tail call, so the two call lines in main", async () => {
  // gcc turns `return chown(...)` into `jmp chown`: the helper leaves no return address, main's call does.
  const dir = await fixtures();
  const run = await captrace([`${dir}/site_chown_twice_O2`, `${dir}/owned-by-root`]);
  const [first, second, ...rest] = denied(run, "cap_chown");
  assert.equal(rest.length, 0);
  assertSite(first!, `${dir}/site_chown_twice_O2`, "site_chown_twice.c", "first", "main");
  assertSite(second!, `${dir}/site_chown_twice_O2`, "site_chown_twice.c", "second", "main");
});

Deno.test("sites: stale return addresses of earlier calls, and function pointers, on the stack are not the caller", async () => {
  const dir = await fixtures();
  for (const build of ["O0", "noplt"]) {
    // Three helpers deep, then open: their return addresses stay in the stack open's frame takes over.
    const stale = await captrace([`${dir}/site_stale_${build}`]);
    for (const c of denied(stale, "cap_dac_read_search")) {
      assertSite(c, `${dir}/site_stale_${build}`, "site_stale.c", "open", "main");
    }
    // nftw keeps its callback's address on its stack while it opens the directory.
    const callback = await captrace([`${dir}/site_callback_${build}`]);
    for (const c of denied(callback, "cap_dac_read_search")) {
      if (c.site === null) continue; // not found within the words scanned: no line, rather than a wrong one
      assertSite(c, `${dir}/site_callback_${build}`, "site_callback.c", "nftw", "main");
    }
  }
});

Deno.test("sites: a fixed-address (non-PIE) program resolves the same line", async () => {
  const dir = await fixtures();
  const [c] = denied(await captrace([`${dir}/site_setuid_nopie`]), "cap_setuid");
  assertSite(c!, `${dir}/site_setuid_nopie`, "site_setuid.c", "setuid", "main");
  assert.ok(BigInt(c!.site!.address) >= 0x400000n, c!.site!.address);
});

Deno.test("sites: text output ends with ' at file:line (function)'", async () => {
  const dir = await fixtures();
  const run = await captrace([`${dir}/site_raw_socket_O0`], false);
  const line = run.stderr.split("\n").find((l) => l.includes('"cap_net_raw" -> -1'));
  assert.ok(line, run.stderr);
  const at = siteLine("site_raw_socket.c", "raw");
  assert.ok(line.endsWith(` at ${FIXTURES}/site_raw_socket.c:${at} (open_raw_socket)`), line);
});

Deno.test("sites: a stripped binary gives binary and address, no line, and says why", async () => {
  const dir = await fixtures();
  const run = await captrace([`${dir}/site_chown_stripped`, `${dir}/owned-by-root`]);
  for (const c of denied(run, "cap_chown")) {
    assert.equal(c.site?.binary, `${dir}/site_chown_stripped`);
    assert.match(c.site?.address ?? "", /^0x[0-9a-f]+$/);
    assert.deepEqual([c.site?.function, c.site?.file, c.site?.line], [null, null, null]);
    assert.equal(c.site_reason, "stripped binary: no symbols or debug info");
  }
});

Deno.test("sites: without -g the function is known from the symbol table, the line is not", async () => {
  const dir = await fixtures();
  const run = await captrace([`${dir}/site_chown_nodebug`, `${dir}/owned-by-root`]);
  for (const c of denied(run, "cap_chown")) {
    assert.equal(c.site?.function, "give_to_root");
    assert.equal(c.site?.line, null);
    assert.equal(c.site_reason, "no debug info (build with -g)");
  }
});

Deno.test("sites: a static binary is not guessed at", async () => {
  // Its libc is inside the program's code range, so the first code address on the stack is often libc's.
  const dir = await fixtures();
  const [c] = denied(await captrace([`${dir}/site_setuid_static`]), "cap_setuid");
  assert.equal(c!.site, null);
  assert.match(c!.site_reason ?? "", /^static binary: /);
});

Deno.test("sites: under -u, the interpreter found by name is the one on the user's PATH, not root's shim", async () => {
  const dir = await fixtures();
  // Root's PATH first names a shim for sh in a directory nobody cannot search (as pyenv's for python3, in /root):
  // nobody's PATH leaves it out, and runs /usr/bin/sh, whose script is the argument.
  for (
    const [sub, mode, name, body] of [
      ["private", 0o700, "sh", '#!/bin/sh\nexec /bin/sh "$@"\n'],
      ["public", 0o755, "job.sh", "echo x > /root/captrace-sites-denied 2>/dev/null\n"],
    ] as const
  ) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    await Deno.chmod(`${dir}/${sub}`, mode);
    await Deno.writeTextFile(`${dir}/${sub}/${name}`, body, { mode: 0o755 });
    await Deno.chmod(`${dir}/${sub}/${name}`, 0o755);
  }
  const run = await captrace(["sh", `${dir}/public/job.sh`], true, { PATH: `${dir}/private:/usr/bin:/bin` });
  const own = denied(run, "cap_dac_override").filter((c) => c.comm === "sh");
  assert.ok(own.length > 0, run.stderr);
  for (const c of own) assert.equal(c.script, `${dir}/public/job.sh`);
});

Deno.test("sites: a shell script's own checks carry the script; its child program resolves to its line", async () => {
  const dir = await fixtures();
  const run = await captrace([`${dir}/script.sh`]);
  const shell = denied(run, "cap_dac_override").filter((c) => c.comm === "script.sh");
  assert.ok(shell.length > 0, run.stderr);
  for (const c of shell) {
    assert.equal(c.site, null);
    assert.equal(c.script, `${dir}/script.sh`);
    assert.match(c.site_reason ?? "", /^interpreter (dash|sh|bash): /);
  }
  const [child] = denied(run, "cap_setuid");
  assert.notEqual(child!.pid, shell[0]!.pid);
  assertSite(child!, `${dir}/site_setuid_O0`, "site_setuid.c", "setuid", "main");
  // Given to the shell by a relative path: the script's path as an editor names it, without `./`. (Read from the
  // shell's command line, while it runs: this one waits a little.)
  await Deno.writeTextFile(`${dir}/slow.sh`, "echo x > /root/captrace-sites-denied 2>/dev/null\nsleep 1.5\n");
  const relative = await captrace(["/bin/sh", "-c", `cd ${dir} && exec /bin/sh ./slow.sh`]);
  const own = denied(relative, "cap_dac_override").filter((c) => c.comm === "sh");
  assert.ok(own.length > 0, relative.stderr);
  for (const c of own) assert.equal(c.script, `${dir}/slow.sh`);
});
