/** The CLI against a stand-in tracer replaying recorded output: both probe paths, tracer failures, bad input. */

import assert from "node:assert/strict";
import {
  CLI,
  ndjson,
  onKernel,
  processesMatching,
  processesWithEnv,
  readWatching,
  runCli,
  waitForProcess,
} from "./helpers.ts";
import { typelessBtf } from "../shared/btf.ts";
import { ignores, readStatus } from "../cli/procfs.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const FAKE = `${ROOT}test/fixtures/fake_bpftrace.sh`;
const TRACEPOINT = `${ROOT}shared/testdata/tracepoint_pid.txt`;
const KPROBE = `${ROOT}shared/testdata/kprobe_pid.txt`;
const STAMP = String.raw`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d`;

/** The CLI on the stand-in tracer, on a kernel with the capability:cap_capable tracepoint (and kprobes). */
function fake(env: Record<string, string>, args: string[], killAfterMs?: number, onTracing?: () => void) {
  return onKernel(
    true,
    (wrapper) =>
      runCli(["--bpftrace", FAKE, ...args], {
        env: { FAKE_PROBES: "kprobe", ...env },
        wrapper,
        ...(killAfterMs ? { killAfterMs } : {}),
        ...(onTracing ? { onTracing } : {}),
      }),
  );
}

/** The CLI on the stand-in tracer, on a kernel without the capability:cap_capable tracepoint (before 6.14). */
function fakeWithoutTracepoint(env: Record<string, string>, args: string[]) {
  return onKernel(
    false,
    (wrapper) => runCli(["--bpftrace", FAKE, ...args], { env: { FAKE_PROBES: "kprobe", ...env }, wrapper }),
  );
}

async function temp(text: string): Promise<string> {
  const f = await Deno.makeTempFile();
  await Deno.writeTextFile(f, text);
  return f;
}

/**
 * captrace on the stand-in (`run`, given the pid and the stand-in's settings) with --pid of a process alive when
 * captrace first looks at it and gone before bpftrace is ready. captrace asks the stand-in for its version, then
 * checks its kernel and looks at the process (milliseconds, or more on a loaded machine), and awaits the version,
 * which takes 3 s, before starting the tracer. The process is killed a second after the question.
 */
async function goneBeforeReady<T>(
  run: (pid: number, env: Record<string, string>) => Promise<T>,
): Promise<{ pid: number; result: T }> {
  const target = new Deno.Command("sleep", { args: ["60"] }).spawn();
  const marker = `FAKE_TEST=gone-${target.pid}`;
  let ended = false;
  const result = run(target.pid, { FAKE_VERSION_SLEEP: "3", FAKE_TEST: marker.slice("FAKE_TEST=".length) })
    .finally(() => ended = true);
  let failure: unknown = null;
  try {
    for (let i = 0; !ended && !(await standInRuns(marker, "--version")); i++) {
      assert.ok(i < 500, "captrace asked the stand-in for its version");
      await _sleep(20);
    }
    await _sleep(1000);
  } catch (e) {
    failure = e;
  }
  target.kill("SIGKILL");
  await target.status;
  if (failure !== null) {
    await result.catch(() => {}); // not left running
    throw failure;
  }
  return { pid: target.pid, result: await result };
}

/**
 * Whether a stand-in with `marker` in its environment runs with `arg` in its command line: `--version` while it is
 * asked for its version, `program.bt` once it traces. Not only whether processes with its settings run: the
 * command's launcher has them too, and so does the stand-in asked for its version, before the tracer starts.
 */
async function standInRuns(marker: string, arg: string, ignoringTerm = false): Promise<boolean> {
  for (const pid of await processesWithEnv(marker)) {
    if (!(await Deno.readTextFile(`/proc/${pid}/cmdline`).catch(() => "")).includes(arg)) continue;
    if (!ignoringTerm || await ignoresTerm(pid)) return true;
  }
  return false;
}

/** Whether process `pid` ignores SIGTERM, as its /proc status says. */
async function ignoresTerm(pid: string): Promise<boolean> {
  const status = await readStatus(Number(pid));
  return status !== null && ignores(status, 15);
}

Deno.test("--pid of a process that ends before the probes are attached: exit 4 and no summary, --baseline too", async () => {
  // Alive when captrace first looks; gone by the time bpftrace, slow to answer its version, is ready.
  const replay = await temp("READY 1000\n");
  const end = await temp("S begin\n@n: 0\n@p: 0\nS end\n");
  const baseline = await temp("");
  const file = await Deno.makeTempFile({ suffix: ".ndjson" });
  try {
    for (const extra of [["-c"], ["--json", "--baseline", baseline], ["--json", "-o", file]]) {
      const { pid, result: r } = await goneBeforeReady((pid, env) =>
        fake(
          { FAKE_PROBES: "", FAKE_REPLAY: replay, FAKE_ON_SIGINT: end, ...env },
          [...extra, "-p", String(pid)],
          20_000,
        )
      );
      assert.equal(r.code, 4, r.stderr);
      const message = `Process ${pid} exited before the probes were attached`;
      const hint = "Nothing of it was traced; to trace a program from its start, launch it: captrace -- COMMAND";
      if (extra[0] === "-c") {
        assert.ok(r.stderr.endsWith(`captrace: ${message}\n${hint}\n`), r.stderr);
        assert.doesNotMatch(r.stderr, /Recommendation|setcap/);
      } else {
        // On stderr, or in -o's file, the error once, after the ready event.
        const events = ndjson(extra[1] === "-o" ? await Deno.readTextFile(file) : r.stderr);
        assert.deepEqual(events.map((e) => e.type), ["ready", "error"]);
        assert.deepEqual(events[1], { v: 1, type: "error", message, hint, exit_code: 4 });
      }
    }
  } finally {
    for (const f of [replay, end, baseline, file]) await Deno.remove(f);
  }
});

Deno.test("--pid of a process that ends between the attach and the ready record was traced: its trace stands", async () => {
  // Its check and its exit were read after the ready record: it ran while the probes were attached.
  const files: string[] = [];
  const { result: r } = await goneBeforeReady(async (pid, env) => {
    const replay = await temp(
      `READY 1000\nC 2000 ${pid} ${pid} 1 0 0 13 -1 41 4026531837 4026531837 0 0 sleep\n    cap_capable+131\n\n` +
        `X 3000 ${pid} 0 1\n`,
    );
    const end = await temp(`S begin\n@n: 1\n@p: 2\n@agg[0, ${pid}, 13, -1, 41, 0]: 1\nS end\n`);
    files.push(replay, end);
    return await fake(
      { FAKE_PROBES: "", FAKE_REPLAY: replay, FAKE_ON_SIGINT: end, ...env },
      ["-c", "-p", String(pid)],
      20_000,
    );
  });
  try {
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Recommendation: CAP_NET_RAW$/m);
    assert.doesNotMatch(r.stderr, /exited before the probes were attached/);
  } finally {
    for (const f of files) await Deno.remove(f);
  }
});

Deno.test("recorded tracepoint output: lines, completeness and the exact summary", async () => {
  // The tracepoint is found in tracefs: bpftrace is not asked (this one would deny having kprobes too).
  const r = await fake({ FAKE_PROBES: "", FAKE_REPLAY: TRACEPOINT }, ["-c", "-p", String(Deno.pid)]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`^${STAMP} chown {12}\\d+ opt=0 "cap_chown" -> -1 \\(operation not permitted\\) syscall=fchownat$`, "m"),
  );
  assert.match(
    r.stderr,
    /^captrace: 117 checks seen, \d+ shown, \d+ hidden .* 0 lost; probe tracepoint:capability:cap_capable \(audit flags inferred from the kernel caller; checks process \d+ made before the attach are not seen; it holds \d+ capabilities\)$/m,
  );
  assert.match(r.stderr, /^cap_chown +\d+ +\d+ +\d+ /m);
  assert.match(r.stderr, /^Recommendation: .*CAP_CHOWN/m);
  // cap_bpf and cap_perfmon were refused right before cap_sys_admin was granted: the narrow ones are enough.
  assert.match(r.stderr, /^ {2}CAP_PERFMON instead of CAP_SYS_ADMIN: /m);
});

Deno.test("bpftrace 0.17 is given a BTF without types when its tracepoint program reads fields at offsets; others not", async () => {
  const out = await Deno.makeTempFile();
  try {
    const run = async (env: Record<string, string>) => {
      const r = await fake({ FAKE_PROBES: "", FAKE_REPLAY: TRACEPOINT, FAKE_BTF_OUT: out, ...env }, [
        "-p",
        String(Deno.pid),
      ]);
      assert.equal(r.code, 0, r.stderr);
      return await Deno.readFile(out);
    };
    assert.deepEqual(await run({}), typelessBtf());
    assert.deepEqual(await run({ FAKE_VERSION: "bpftrace v0.17.1" }), typelessBtf());
    const none = new TextEncoder().encode("none\n");
    // A later bpftrace may read tracepoint records from BTF; without offsets the program names kernel structs.
    assert.deepEqual(await run({ FAKE_VERSION: "bpftrace v0.21.2" }), none);
    assert.deepEqual(await run({ CAPTRACE_BTF_OFFSETS: "0" }), none);
    // Nor on kprobes: that path is only compiled by the tests, never run against a real kernel with the typeless BTF.
    const r = await fakeWithoutTracepoint({ FAKE_REPLAY: KPROBE, FAKE_BTF_OUT: out, FAKE_OPTS_PARAM: "opts" }, [
      "-p",
      String(Deno.pid),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await Deno.readFile(out), none);
  } finally {
    await Deno.remove(out);
  }
});

Deno.test("recorded kprobe output: auto picks kprobes when there is no tracepoint, pairs entry and return", async () => {
  const prog = await Deno.makeTempFile();
  const out = await Deno.makeTempFile();
  const r = await fakeWithoutTracepoint(
    { FAKE_REPLAY: KPROBE, FAKE_PROGRAM_OUT: prog, FAKE_OPTS_PARAM: "opts" },
    ["--json", "-o", out, "-v", "-p", String(Deno.pid)],
  );
  assert.equal(r.code, 0, r.stderr);
  const program = await Deno.readTextFile(prog);
  assert.match(program, /^kprobe:cap_capable /m);
  assert.match(program, /^kretprobe:cap_capable /m);
  const events = ndjson(await Deno.readTextFile(out));
  assert.equal(events[0]?.type, "ready");
  assert.equal(events[0]?.probe, "kprobe");
  const checks = events.filter((e) => e.type === "check");
  assert.ok(checks.length > 0);
  assert.ok(checks.every((c) => c.opts_source === "read"));
  const raw = checks.find((c) => c.cap === 13);
  assert.equal(raw?.comm, "Web Content", "a comm with spaces survives");
  assert.equal(raw?.tid, 202);
  assert.equal(raw?.verdict, "allowed");
  const unknown = checks.find((c) => c.cap === 41);
  assert.equal(unknown?.cap_name, null, "an unknown capability number stays a number");
  assert.ok(events.some((e) => e.type === "lost" && e.count === 2));
  assert.equal(events.at(-1)?.type, "summary");
  await Deno.remove(prog);
  await Deno.remove(out);
});

Deno.test("no usable probe: exit 3 naming what was tried and the kernel", async () => {
  const r = await fakeWithoutTracepoint({ FAKE_PROBES: "" }, ["-p", String(Deno.pid)]);
  assert.equal(r.code, 3);
  assert.match(
    r.stderr,
    /^captrace: This kernel has neither the capability:cap_capable tracepoint nor kprobes on cap_capable \(kernel .+\)\nTried the tracepoint, then kprobes\n$/,
  );
});

Deno.test("--probe tracepoint on a kernel without the tracepoint fails with 3", async () => {
  const r = await fakeWithoutTracepoint({}, ["--probe", "tracepoint", "-p", String(Deno.pid)]);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /no capability:cap_capable tracepoint \(it appeared in Linux 6\.14\)/);
});

Deno.test("bpftrace missing or too old: exit 3 with a hint", async () => {
  const missing = await runCli(["--bpftrace", "/no/such/bpftrace", "-p", String(Deno.pid)]);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /^captrace: bpftrace was not found \(tried '\/no\/such\/bpftrace'\)\nInstall it/);
  const old = await fake({ FAKE_VERSION: "bpftrace v0.9.4" }, ["-p", String(Deno.pid)]);
  assert.equal(old.code, 3);
  assert.match(old.stderr, /bpftrace v0\.9\.4 is too old \(captrace needs 0\.16 or newer\)/);
});

Deno.test("a too-old bpftrace is refused even once its probes are attached: the command never runs", async () => {
  // The version is asked while bpftrace starts; the answer is awaited before anything is released.
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const ready = await temp("READY 1\n");
  const r = await fake(
    { FAKE_VERSION: "bpftrace v0.9.4", FAKE_REPLAY: ready, FAKE_ON_SIGINT: ready },
    ["--json", "--", "/usr/bin/touch", marker],
  );
  assert.equal(r.code, 3);
  const events = ndjson(r.stderr + r.stdout);
  assert.equal(events[0]?.message, "bpftrace v0.9.4 is too old (captrace needs 0.16 or newer)");
  assert.ok(!events.some((e) => e.type === "ready"), "no ready event");
  assert.equal(await Deno.stat(marker).then(() => true, () => false), false, "the command ran");
  assert.deepEqual(await processesWithEnv(ready), [], "the stand-in tracer was left running");
  await Deno.remove(ready);
});

Deno.test("a too-old bpftrace that never attaches is not waited for: exit 3 at once, nothing left running", async () => {
  const hang = await temp("");
  const r = await onKernel(true, (wrapper) =>
    runCli(["--bpftrace", FAKE, "-p", String(Deno.pid)], {
      env: { FAKE_VERSION: "bpftrace v0.9.4", FAKE_ON_SIGINT: hang },
      wrapper,
      // The start timeout is 60 s: ending before this deadline means the version's answer ended the wait.
      killAfterMs: 20_000,
    }));
  assert.equal(r.code, 3);
  assert.match(r.stderr, /bpftrace v0\.9\.4 is too old/);
  assert.deepEqual(await processesWithEnv(hang), [], "the stand-in tracer was left running");
  await Deno.remove(hang);
});

Deno.test("bpftrace failing to start: exit 3 with its error, and the command never runs", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const r = await fake(
    { FAKE_STDERR: "ERROR: Could not resolve symbol: cap_capable", FAKE_EXIT: "1" },
    ["--", "/usr/bin/touch", marker],
  );
  assert.equal(r.code, 3);
  assert.match(r.stderr, /^captrace: bpftrace could not start the trace: Could not resolve symbol: cap_capable$/m);
  await assert.rejects(Deno.stat(marker), "the gated command was never released");
});

Deno.test("bpftrace dying mid-trace: reported, exit 1, and the command is not orphaned", async () => {
  const replay = await temp(
    "READY 1000\nC 2000 5 5 1 0 0 0 -1 92 4026531837 4026531837 0 0 chown\n    cap_capable+131\n\n",
  );
  const marker = "27.1828";
  const r = await fake({ FAKE_REPLAY: replay, FAKE_EXIT: "1", FAKE_STDERR: "ERROR: perf buffer gone" }, [
    "--",
    "/bin/sleep",
    marker,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^captrace: bpftrace stopped unexpectedly \(exit status 1\): perf buffer gone$/m);
  assert.match(r.stderr, /"cap_chown" -> -1/, "what was traced before is still shown");
  assert.deepEqual(await processesMatching(marker), []);
  await Deno.remove(replay);
});

Deno.test("bpftrace dying before any fork record: the command's child it never reported is stopped too", async () => {
  // The tracer dies 0.2 s in, having printed nothing after READY: the sleep that sh forked has no fork record, and
  // sh, ended by SIGTERM, would leave it to init, running untraced.
  const ready = await temp("READY 1000\n");
  const none = await temp("");
  const marker = "27.3141";
  const r = await fake({ FAKE_REPLAY: ready, FAKE_REPLAY_LATER: none, FAKE_EXIT: "1", FAKE_STDERR: "ERROR: gone" }, [
    "--",
    "/bin/sh",
    "-c",
    `/bin/sleep ${marker} </dev/null >/dev/null 2>&1; echo after`,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^captrace: bpftrace stopped unexpectedly \(exit status 1\): gone$/m);
  assert.doesNotMatch(r.stdout + r.stderr, /after/);
  assert.deepEqual(await processesMatching(marker), []);
  await Deno.remove(ready);
  await Deno.remove(none);
});

Deno.test("bpftrace dying gives its error, never the program line of a harmless warning", async () => {
  const replay = await temp("READY 1000\n");
  const warning = [
    "ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace. If your program is not loading, you can try",
    "/tmp/captrace-control-1/program.bt:30:33-34: WARNING: Addrspace mismatch",
    "            if ($w >= $cs && $w < $ce) { $ra = $w; } $sp += 8; } }",
    "                                ~",
  ];
  const cases: [string[], string][] = [
    [warning, "it printed no error"],
    [[...warning, "ERROR: map full"], "map full"],
    // A warning without its program line: the error right after it is still the reason.
    [[warning[1]!, "ERROR: map full"], "map full"],
  ];
  for (const [stderr, reason] of cases) {
    const r = await fake({ FAKE_REPLAY: replay, FAKE_EXIT: "1", FAKE_STDERR: stderr.join("\n") }, ["-p", "1"]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^captrace: bpftrace stopped unexpectedly \\(exit status 1\\): ${reason}$`, "m"));
  }
  await Deno.remove(replay);
});

Deno.test("malformed and oversized tracer lines are counted, shown with --debug, and never crash", async () => {
  const huge = "C " + "9".repeat(1 << 20);
  const replay = await temp(
    "READY 1000\r\nthis is not a record\n" + huge + "\nC 1 2 x\n" +
      "C 2000 5 5 1 0 0 13 -1 41 4026531837 4026531837 0 0 ping\n    cap_capable+131\n\nS begin\n@n: 1\n@agg[0, 5, 13, -1, 41, 0]: 1\nS end\n",
  );
  const quiet = await fake({ FAKE_REPLAY: replay }, ["-p", String(Deno.pid)]);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.match(quiet.stderr, /"cap_net_raw" -> -1 \(operation not permitted\) syscall=socket$/m);
  assert.match(quiet.stderr, /, 3 unreadable tracer lines;/);
  assert.doesNotMatch(quiet.stderr, /this is not a record/);
  const debug = await fake({ FAKE_REPLAY: replay }, ["--debug", "-p", String(Deno.pid)]);
  assert.match(debug.stderr, /unreadable tracer line \(unknown record\): this is not a record/);
  assert.match(debug.stderr, /unreadable tracer line \(line longer than 65536 bytes\)/);
  await Deno.remove(replay);
});

Deno.test("the original's Go-style flags work: -pid N -bpftrace PATH -debug", async () => {
  const r = await onKernel(
    true,
    (wrapper) =>
      runCli(["-bpftrace", FAKE, "-debug", "-pid", String(Deno.pid)], { env: { FAKE_REPLAY: TRACEPOINT }, wrapper }),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^captrace: bpftrace program:$/m);
  assert.match(r.stderr, new RegExp(`pid == ${Deno.pid}`));
});

Deno.test("without root: exit 3 saying what privilege is needed", async () => {
  const denoDir = await Deno.makeTempDir();
  await Deno.chmod(denoDir, 0o777);
  const out = await new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "--",
      Deno.execPath(),
      "run",
      "--allow-all",
      `${ROOT}cli/main.ts`,
      "-p",
      "1",
    ],
    env: { DENO_DIR: denoDir, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 3);
  assert.equal(
    new TextDecoder().decode(out.stderr),
    "captrace: Tracing needs root: bpftrace runs as root only, whatever capabilities another user holds\n" +
      "Run it with sudo, e.g. 'sudo captrace -u $USER -- ./program'\n",
  );
  await Deno.remove(denoDir, { recursive: true });
});

Deno.test("root without CAP_BPF and CAP_PERFMON, or root of a user namespace, is refused with exit 3, nothing run", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  const cli = [Deno.execPath(), "run", "--allow-all", `${ROOT}cli/main.ts`, "--", "/usr/bin/touch", marker];
  const cases: [string[], RegExp][] = [
    [
      ["setpriv", "--bounding-set=-bpf,-perfmon,-sys_admin", "--"],
      /^captrace: This root lacks CAP_BPF and CAP_PERFMON \(or CAP_SYS_ADMIN\), which loading a tracing program needs\nRun it with them \(in a container: --cap-add BPF --cap-add PERFMON, or --privileged\)\n$/,
    ],
    [
      ["unshare", "-r"],
      /^captrace: This root is that of a user namespace of its own, whose capabilities do not reach the kernel's tracing\n/,
    ],
  ];
  for (const [prefix, message] of cases) {
    const argv = [...prefix, ...cli];
    const out = await new Deno.Command(argv[0]!, { args: argv.slice(1), stdout: "piped", stderr: "piped" }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 3, `${prefix[0]}: ${err}`);
    assert.match(err, message);
    await assert.rejects(Deno.stat(marker), "the command never ran");
  }
});

Deno.test("--json with a trace of its own: an error is an event in the trace, and text on stderr, where a person reads it", async () => {
  const trace = await Deno.makeTempFile();
  const r = await runCli(["--json", "-o", trace, "--", "/nonexistent/command"]);
  assert.equal(r.code, 127);
  assert.equal(r.stderr, "captrace: Command '/nonexistent/command' was not found\nCheck the path\n");
  const last = (await Deno.readTextFile(trace)).trim().split("\n").at(-1)!;
  assert.deepEqual(JSON.parse(last), {
    v: 1,
    type: "error",
    message: "Command '/nonexistent/command' was not found",
    hint: "Check the path",
    exit_code: 127,
  });
  await Deno.remove(trace);
});

Deno.test("a command that is a symbolic link loop, or a link to nothing, says so, with bash's exit codes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    await Deno.symlink(`${dir}/b`, `${dir}/a`);
    await Deno.symlink(`${dir}/a`, `${dir}/b`);
    await Deno.symlink(`${dir}/missing`, `${dir}/dangling`);
    const loop = await runCli(["--", `${dir}/a`]);
    assert.equal(loop.code, 126);
    assert.equal(
      loop.stderr,
      `captrace: Command '${dir}/a' is a loop of symbolic links\nSee where they point with 'namei ${dir}/a'\n`,
    );
    const dangling = await runCli(["--", `${dir}/dangling`]);
    assert.equal(dangling.code, 127);
    assert.equal(
      dangling.stderr,
      `captrace: Command '${dir}/dangling' is a symbolic link that leads to no file (to '${dir}/missing')\n` +
        "Check the link's target\n",
    );
    // A link to what is no regular file (a FIFO) is none of those: not executable, as any other non-program.
    await Deno.symlink("/dev/null", `${dir}/device`);
    const device = await runCli(["--", `${dir}/device`]);
    assert.doesNotMatch(device.stderr, /symbolic link/);
    // A name on PATH whose only match is a loop is not found, as the shell's search passes it over.
    const onPath = await runCli(["--", "a"], { env: { PATH: dir } });
    assert.equal(onPath.code, 127);
    assert.equal(onPath.stderr, "captrace: Command 'a' was not found\nCheck the name, or give its path\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("-o naming an executable file is refused, exit 2, the file left whole: no program is truncated into a trace", async () => {
  const tool = await Deno.makeTempFile();
  await Deno.copyFile("/bin/true", tool);
  await Deno.chmod(tool, 0o755);
  const size = (await Deno.stat(tool)).size;
  const r = await runCli(["-o", tool, "--", tool]);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr,
    `captrace: Cannot write the trace to '${tool}': it is an executable file, which the trace would overwrite\n` +
      "Check the path, or leave out -o to write the trace to stderr\n",
  );
  assert.equal((await Deno.stat(tool)).size, size);
  await Deno.remove(tool);
  // A file with execute bits that is no program (on vfat or drvfs every file has them) takes the trace.
  const notes = await Deno.makeTempFile();
  await Deno.writeTextFile(notes, "an old trace\n");
  await Deno.chmod(notes, 0o755);
  const kept = await runCli(["-o", notes, "-p", "999999"]);
  assert.equal(kept.code, 4, kept.stderr);
  assert.match(await Deno.readTextFile(notes), /^captrace: No process with pid 999999\n/);
  await Deno.remove(notes);
});

Deno.test("a FIFO whose other end is not opened within a second: stderr says what captrace waits for", async () => {
  const dir = await Deno.makeTempDir();
  const fifo = `${dir}/trace`;
  assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
  const line = `captrace: waiting for a reader of '${fifo}'…\n`;
  const read = () => new Deno.Command("cat", { args: [fifo], stdout: "null" }).output();
  // A reader from the start: nothing said. No such process: captrace ends once the FIFO is open.
  const reader = read();
  const r = await runCli(["-o", fifo, "-p", "999999"], { killAfterMs: 20_000 });
  await reader;
  assert.equal(r.code, 4, r.stderr);
  assert.ok(!r.stderr.startsWith(line), `a reader from the start: ${r.stderr}`);
  // None until captrace said it waits (a second after it began to): that line, and the rest after it.
  const p = new Deno.Command(Deno.execPath(), {
    args: [...CLI, "-o", fifo, "-p", "999999"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let late: ReturnType<typeof read> | undefined;
  // Never said, it would wait for ever: killed (137) after 20 s.
  const deadline = setTimeout(() => p.kill("SIGKILL"), 20_000);
  const [said, status] = await Promise.all([
    readWatching(p.stderr, "waiting for a reader", () => late = read()),
    p.status,
  ]);
  clearTimeout(deadline);
  await late;
  assert.equal(status.code, 4, said);
  assert.ok(said.startsWith(line), `a reader once asked for: ${said}`);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--help goes to stdout with exit 0; usage errors to stderr with exit 2 and a hint", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: captrace \[options\] \[--\] command \[args\.\.\.\]$/m);
  assert.equal(help.stderr, "");
  // Help that cannot be written is one line and exit 1, not an internal error.
  const sh = await new Deno.Command("sh", {
    args: ["-c", '"$@" >/dev/full', "sh", Deno.execPath(), ...CLI, "--help"],
    stderr: "piped",
  }).output();
  assert.equal(sh.code, 1);
  assert.equal(
    new TextDecoder().decode(sh.stderr),
    "captrace: Cannot write to stdout: No space left on device\n",
  );
  for (
    const [args, message] of [
      [["--bogus"], "Unknown option '--bogus'"],
      [["-p", "abc"], "Invalid pid 'abc'"],
      [["-p", "1", "--", "ls"], "Give either a command or --pid, not both"],
      [["--probe", "fentry"], "Unknown probe 'fentry' (use auto, tracepoint or kprobe)"],
      [["-u", "nobody"], "--user needs a command to launch"],
      [["--summary-only", "--sites", "--", "ls"], "--sites needs per-check records: leave out --summary-only"],
      [["--map-keys", "100"], "Invalid --map-keys '100' (a number from 1024 to 67108864)"],
      [["--map-keys", "lots"], "Invalid --map-keys 'lots' (a number from 1024 to 67108864)"],
      [["-p", "99999999999999999999999"], "Invalid pid '99999999999999999999999'"],
      [["-u", "nobody", "-u", "root", "--", "ls"], "Give --user once"],
      [["-o", "a", "--output", "b", "--", "ls"], "Give --output once"],
      [["--cgroup", "/", "--cgroup", "/x"], "Give --cgroup once"],
      [["-f", "--no-follow", "--", "ls"], "Give --follow or --no-follow, not both"],
      [
        ["--baseline", "-", "--stdin-control", "--", "ls"],
        "--baseline - reads standard input, which --stdin-control watches for the trace's end",
      ],
      [["-u", "", "--", "ls"], "Invalid user '' (a user name or uid)"],
      [["-o", "", "--", "ls"], "Invalid output file ''"],
      [["--baseline", "", "--", "ls"], "Invalid baseline file ''"],
      [["--baseline=", "--", "ls"], "Invalid baseline file ''"],
      [["--control", "", "--", "ls"], "Invalid control FIFO ''"],
      [["--control", "a", "--control", "b", "--", "ls"], "Give --control once"],
      [["--control", "a", "--stdin-control", "--", "ls"], "Give --stdin-control or --control, not both"],
      [["--bpftrace=", "--", "ls"], "Invalid bpftrace path ''"],
      [["-output", "f", "--", "ls"], "Unknown option '-output' (one dash): did you mean --output?"],
      [["-follow", "--", "ls"], "Unknown option '-follow' (one dash): did you mean --follow?"],
      [["-c", "-unique", "--", "ls"], "Unknown option '-unique' (one dash): did you mean --unique?"],
      [["-stop-with=1", "--", "ls"], "Unknown option '-stop-with' (one dash): did you mean --stop-with?"],
      [["--stop-with", "0", "--", "ls"], "Invalid pid '0' for --stop-with"],
      [["--stop-with", "me", "--", "ls"], "Invalid pid 'me' for --stop-with"],
      [["--stop-with", "1", "--stop-with", "2", "--", "ls"], "Give --stop-with once"],
      [["--"], "No command after '--' (leave out '--' to trace the whole system)"],
      [["--cgroup", "x", "-p", "1"], "Give --cgroup alone: it traces every process of the cgroup, not a pid"],
      [["--cgroup", "x", "--", "ls"], "Give --cgroup alone: it traces every process of the cgroup, not a command"],
      [["--cgroup", ""], "Invalid cgroup ''"],
      [["-p", "1", "-p", "2"], "Give --pid once: captrace traces one process and its children"],
      [["--no-follow"], "--no-follow needs a command or --pid"],
    ] as const
  ) {
    const r = await runCli([...args]);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, `captrace: ${message}\nRun 'captrace --help' for usage\n`);
  }
  // A value that starts with '-' is taken for an option: the hint says how to give it, whichever way -p was written.
  for (const args of [["-p", "-5"], ["-cp", "-5"], ["-p", "5", "-p", "-5"], ["-p", "-5", "-p", "5"]]) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stderr, "captrace: Invalid value '-5' for --pid\nGive --pid a number\n");
  }
  const keys = await runCli(["--map-keys", "-1"]);
  assert.equal(keys.stderr, "captrace: Invalid value '-1' for --map-keys\nGive --map-keys a number\n");
  const out = await runCli(["-o", "-x", "--", "ls"]);
  assert.equal(
    out.stderr,
    "captrace: Invalid value '-x' for --output\nGive --output its value (one that starts with '-' as --output=-x)\n",
  );
  const json = await runCli(["--json", "--bogus"]);
  assert.deepEqual(JSON.parse(json.stderr), {
    v: 1,
    type: "error",
    message: "Unknown option '--bogus'",
    hint: "Run 'captrace --help' for usage",
    exit_code: 2,
  });
  const base = await runCli(["--baseline", "/nonexistent/base", "--", "ls"]);
  assert.equal(base.code, 2);
  assert.match(base.stderr, /^captrace: Cannot read the baseline '\/nonexistent\/base': /);
  assert.match(base.stderr, /\nGive a --json trace with a summary, or a file of capability names\n$/);
  // A reason after a colon goes on the sentence, lower case.
  const noSummary = await temp('{"v":1,"type":"lost","count":1}\n');
  const bad = await runCli(["--baseline", noSummary, "--", "ls"]);
  await Deno.remove(noSummary);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^captrace: The baseline '.*' is not valid: the baseline JSON has no summary event /);
  // --control needs a FIFO: a file's end would stop the trace at once; a missing one is said as such.
  const plain = await Deno.makeTempFile();
  for (
    const [path, message] of [
      [plain, `'${plain}' given to --control is not a FIFO`],
      ["/nonexistent/control", "Cannot use '/nonexistent/control' for --control: No such file or directory"],
    ]
  ) {
    const r = await runCli(["--control", path!, "--", "ls"]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `captrace: ${message}\nGive --control a FIFO (mkfifo) and keep it open for writing for as long as the trace is to run\n`,
    );
  }
  await Deno.remove(plain);
  // Nor one that could never end: captrace's stdin, or one captrace holds open for writing itself (inherited).
  const dir = await Deno.makeTempDir();
  const fifo = `${dir}/control`;
  assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
  for (
    const [open, message, hint] of [
      [
        'exec 0<>"$1"',
        `'${fifo}' given to --control is captrace's standard input, which the command reads`,
        "Give --control a FIFO of its own, or use --stdin-control",
      ],
      [
        'exec 7<>"$1"',
        `'${fifo}' given to --control is held open for writing by captrace itself (descriptor 7, inherited): ` +
        "its end could never come",
        "Open it for writing once captrace runs, or keep the descriptor from captrace (7>&-)",
      ],
    ]
  ) {
    const r = await new Deno.Command("/bin/sh", {
      args: ["-c", `${open}; shift; exec "$@"`, "sh", fifo, Deno.execPath(), ...CLI, "--control", fifo, "--", "ls"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(r.code, 2, open);
    assert.equal(new TextDecoder().decode(r.stderr), `captrace: ${message}\n${hint}\n`);
  }
  await Deno.remove(dir, { recursive: true });
  // --json among the command's own arguments is the command's: captrace's errors stay text.
  const text = await runCli(["--", "/nonexistent/cmd", "--json"]);
  assert.equal(text.stderr, "captrace: Command '/nonexistent/cmd' was not found\nCheck the path\n");
});

/** One denied check (ping's CAP_NET_RAW), then the root's exit: captrace asks for the summary at once. */
const PING_THEN_EXIT =
  "READY 1000\nC 2000 5 5 1 0 0 13 -1 41 4026531837 4026531837 0 0 ping\n    cap_capable+131\n\nX 3000 5 0 1\n";

/** END's summary of PING_THEN_EXIT, counting `n` checks. */
function endSummary(n: number): string {
  return `S begin 9000 END\n@n: ${n}\n@p: 2\n@agg[0, 5, 13, -1, 41, 0]: ${n}\nS end 9001\n`;
}

/**
 * `captrace --debug -c -p` on the stand-in replaying PING_THEN_EXIT and `more` after it, answering SIGINT with END's
 * summary of `endChecks` checks, with `env` besides.
 */
async function afterRootExit(more: string, endChecks: number, env: Record<string, string> = {}) {
  const replay = await temp(PING_THEN_EXIT + more);
  const end = await temp(endSummary(endChecks));
  try {
    return await fake({ FAKE_REPLAY: replay, FAKE_ON_SIGINT: end, ...env }, ["--debug", "-c", "-p", String(Deno.pid)]);
  } finally {
    await Deno.remove(replay);
    await Deno.remove(end);
  }
}

/** With `more` after PING_THEN_EXIT, the summary must come from END, after captrace said why it sent SIGINT. */
async function summaryFromEnd(more: string, why: RegExp): Promise<void> {
  const r = await afterRootExit(more, 1);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, why);
  assert.match(r.stderr, /^cap_net_raw +1 +0 +1 +1 +0 +1 socket$/m);
  assert.match(r.stderr, /captrace: 1 checks seen, 1 shown, 0 hidden .* 0 lost;/);
}

Deno.test("--unique shows a key once when two threads both passed the kernel's test for it", async () => {
  // Two threads on two CPUs, the same process, capability, verdict and syscall: the kernel printed both.
  const replay = await temp(
    "READY 1000\nC 2000 5 5 1 0 0 13 -1 41 4026531837 4026531837 0 0 ping\n    cap_capable+131\n\n" +
      "C 2001 5 6 1 0 0 13 -1 41 4026531837 4026531837 0 0 ping\n    cap_capable+131\n\n" +
      "C 2500 5 6 1 0 0 13 -1 54 4026531837 4026531837 0 0 ping\n    cap_capable+131\n\nX 3000 5 0 1\n",
  );
  const end = await temp("S begin\n@n: 5\n@p: 4\n@agg[0, 5, 13, -1, 41, 0]: 4\n@agg[0, 5, 13, -1, 54, 0]: 1\nS end\n");
  try {
    const r = await fake({ FAKE_REPLAY: replay, FAKE_ON_SIGINT: end }, ["--unique", "-c", "-p", String(Deno.pid)]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stderr.match(/"cap_net_raw" -> -1 .* syscall=\w+$/gm)?.map((l) => l.split("syscall=")[1]), [
      "socket",
      "setsockopt",
    ]);
    assert.match(r.stderr, /^captrace: 5 checks seen, 2 shown, 3 hidden \(0 no-audit, 3 repeats\), 0 lost;/m);
  } finally {
    await Deno.remove(replay);
    await Deno.remove(end);
  }
});

Deno.test("--unique shows the checks of a process that took an earlier one's pid, once each", async () => {
  // pid 5 ended, and a new process took its pid: the kernel printed its first check after a P record, then two
  // threads of it both passed the kernel's test for its second.
  const c = (ts: number, tid: number) =>
    `C ${ts} 5 ${tid} 1 0 0 13 -1 41 4026531837 4026531837 0 0 ping\n    cap_capable+131\n\n`;
  const replay = await temp(`READY 1000\n${c(2000, 5)}P 3000 5 2900\n${c(3100, 5)}${c(3101, 6)}X 4000 5 0 1\n`);
  const end = await temp("S begin\n@n: 3\n@p: 5\n@agg[0, 5, 13, -1, 41, 0]: 3\nS end\n");
  try {
    const r = await fake({ FAKE_REPLAY: replay, FAKE_ON_SIGINT: end }, ["--unique", "-c", "-p", String(Deno.pid)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr.match(/"cap_net_raw" -> -1 .* syscall=socket$/gm)?.length, 2, r.stderr);
    assert.match(r.stderr, /^captrace: 3 checks seen, 2 shown, 1 hidden \(0 no-audit, 1 repeats\), 0 lost;/m);
  } finally {
    await Deno.remove(replay);
    await Deno.remove(end);
  }
});

Deno.test("a kprobe entry read last, after the summary, is counted as read, not lost", async () => {
  // Its return never comes (the probes stop counting at the summary), and no line comes after it: the parser holds
  // an entry for the line after it (its comm may go on there) until captrace ends the tracer.
  const b = (ts: number, comm: string) => `B ${ts} 5 5 1 0 0 13 0 41 4026531837 4026531837 0 0 ${comm}\n`;
  const summary = "S begin 4000\n@n: 1\n@p: 4\n@agg[0, 5, 13, -1, 41, 1, 0, 0, 0]: 1\nS end 4001\n";
  // The summary as a requested one comes, then the late entry; the tracer goes on until captrace ends it.
  const replay = await temp(`READY 1000\n${b(2000, "ping")}R 2500 5 -1\nX 3000 5 0 1\n${summary}${b(3500, "sh")}`);
  try {
    const r = await fakeWithoutTracepoint(
      { FAKE_REPLAY: replay, FAKE_STUCK: "1", FAKE_OPTS_PARAM: "opts" },
      ["-c", "-p", String(Deno.pid)],
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^captrace: 1 checks seen, 1 shown, 0 hidden .* 0 lost;/m);
    assert.doesNotMatch(r.stderr, /lost by the tracer|tracer lost/);
  } finally {
    await Deno.remove(replay);
  }
});

Deno.test("the tracer's losses are shown where they happen, at most a line a second, and totalled at the end", async () => {
  // Three losses at once, then one every 0.2 s for 2.4 s, then the root's exit: a line at once, the next ones a second
  // apart with all that was lost since, and the rest only in the end's total.
  const lost = "Lost 1 events\n";
  const [exit] = PING_THEN_EXIT.match(/^X .*\n/m)!;
  const replay = await temp(PING_THEN_EXIT.replace(exit, lost.repeat(3)));
  const slow = await temp(lost.repeat(12) + exit);
  const end = await temp(endSummary(1));
  try {
    const r = await fake({ FAKE_REPLAY: replay, FAKE_REPLAY_SLOW: slow, FAKE_ON_SIGINT: end }, [
      "-p",
      String(Deno.pid),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.split("\n").filter((l) => /tracer lost/.test(l));
    // Three lines; two if captrace read the first ones late, four if the stand-in's 2.4 s took over 3 s (a loaded
    // machine). A line for each read would be thirteen.
    assert.ok(lines.length >= 2 && lines.length <= 4, r.stderr);
    assert.equal(lines[0], "captrace: tracer lost 1 events");
    let shown = 1;
    for (const line of lines.slice(1)) {
      const [, since, total] = /^captrace: tracer lost (\d+) events \((\d+) so far\)$/.exec(line) ?? [];
      assert.equal(Number(total), shown + Number(since), line);
      shown = Number(total);
    }
    assert.ok(shown >= 6 && shown <= 15, lines.at(-1));
    assert.match(r.stderr, /^captrace: 15 events lost by the tracer; summary counts are still exact$/m);
  } finally {
    for (const f of [replay, slow, end]) await Deno.remove(f);
  }
});

Deno.test("a tracer that ignores the summary request is stopped with SIGINT and its END summary is used", async () => {
  // The stand-in, unlike bpftrace, does not answer captrace's chown: after 0.5 s captrace falls back to SIGINT.
  await summaryFromEnd("", /^captrace: no summary 500 ms after asking: sending SIGINT$/m);
});

Deno.test("END's summary unasked is a trace another process ended, unless the --pid process had ended (bpftrace's own end)", async () => {
  // READY, then END's summary, which captrace never asked for. It comes through a FIFO the test writes once the
  // trace runs (captrace's banner), and for the process that ends, once it has ended and been reaped.
  const replay = await temp("READY 1000\n");
  const dir = await Deno.makeTempDir();
  const slow = `${dir}/slow`;
  try {
    for (const ends of [false, true]) {
      assert.equal((await new Deno.Command("mkfifo", { args: [slow] }).output()).code, 0, "mkfifo");
      const target = new Deno.Command("sleep", { args: ["30"], stdin: "null" }).spawn();
      let sent: Promise<void> | undefined;
      try {
        const r = await fake(
          { FAKE_REPLAY: replay, FAKE_REPLAY_SLOW: slow },
          ["-p", String(target.pid)],
          20_000,
          () =>
            sent = (async () => {
              if (ends) {
                target.kill("SIGKILL");
                await target.status;
              }
              await Deno.writeTextFile(slow, "S begin 5000 END\n@n: 0\n@p: 1\nS end 6000\n");
            })(),
        );
        await sent;
        if (ends) {
          // Its exit record lost (here, never made): bpftrace ends on its own after the root's end, not told by
          // another.
          assert.equal(r.code, 0, r.stderr);
        } else {
          assert.equal(r.code, 1, r.stderr);
          assert.match(r.stderr, /^captrace: bpftrace ended before captrace stopped it: another process ended it/m);
        }
      } finally {
        try {
          target.kill("SIGKILL");
        } catch {
          // ended
        }
        await target.status;
        // Never written (no banner came): a stand-in waiting to read it gets its end, and ends.
        if (sent === undefined) (await Deno.open(slow, { read: true, write: true })).close();
        await Deno.remove(slow);
      }
    }
  } finally {
    await Deno.remove(replay);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("END's summary unasked while the command runs fails the trace, unless captrace was sent a stop with it", async () => {
  // READY, then END's summary, unasked: another process ended bpftrace. The command ignores SIGTERM.
  const replay = await temp("READY 1000\n");
  const end = "S begin 5000 END\n@n: 0\n@p: 0\nS end 6000\n";
  const slow = await temp("\n".repeat(2) + end);
  const dir = await Deno.makeTempDir();
  const fifo = `${dir}/slow`;
  const command = ["--", "/bin/sh", "-c", "trap '' TERM; sleep 6.0125; echo command-done"];
  const start = (slow: string) =>
    new Deno.Command(Deno.execPath(), {
      args: [...CLI, "--bpftrace", FAKE, ...command],
      env: { FAKE_PROBES: "tracepoint kprobe", FAKE_REPLAY: replay, FAKE_REPLAY_SLOW: slow, TZ: "UTC" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  try {
    // Alone: the command is stopped, the trace failed.
    const alone = await start(slow).output();
    const dec = new TextDecoder();
    const [out, err] = [dec.decode(alone.stdout), dec.decode(alone.stderr)];
    assert.equal(alone.code, 1, err);
    assert.match(err, /^captrace: bpftrace ended before captrace stopped it: another process ended it/m);
    assert.doesNotMatch(out + err, /command-done/, "the command was stopped");
    // With captrace's own SIGTERM at about that time (systemctl stop signals the whole unit): a stop, as asked. Sent
    // once the trace runs (its banner) and the command's sleep does (its trap has run: SIGTERM would end it before);
    // END's summary follows through a FIFO, written once the signal is sent.
    assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0, "mkfifo");
    const p = start(fifo);
    let sent: Promise<void> | undefined;
    const deadline = setTimeout(() => p.kill("SIGKILL"), 20_000);
    const [said, stopped] = await Promise.all([
      readWatching(p.stderr, "Hit Ctrl-C", () =>
        sent = (async () => {
          await waitForProcess("sleep\x006.0125", "the command's sleep did not start");
          p.kill("SIGTERM");
          await Deno.writeTextFile(fifo, end);
        })()),
      p.status,
      new Response(p.stdout).text(),
    ]);
    clearTimeout(deadline);
    assert.ok(sent !== undefined, `no banner: ${said}`);
    await sent;
    assert.equal(stopped.code, 0, said);
    assert.doesNotMatch(said, /ended before captrace stopped it/);
  } finally {
    await Deno.remove(replay);
    await Deno.remove(slow);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a capability refused to a pid one of whose processes failed is not said to be done without", async () => {
  // pid 7 refused CAP_NET_RAW twice, as two processes (the pid reused): the first exits `first`, the second 0.
  const ns = "4026531837 4026531837";
  const check = (ts: number) => `C ${ts} 7 7 5 0 0 13 -1 41 ${ns} 0 0 ping\n    cap_capable+131\n\n`;
  const note = async (first: number) => {
    const replay = await temp(
      `READY 1000\n${check(2000)}X 2100 7 ${first} 0\n${check(2200)}X 2300 7 0 0\nX 3000 5 0 1\n`,
    );
    const end = await temp("S begin 9000 END\n@n: 2\n@p: 6\n@agg[0, 7, 13, -1, 41, 0]: 2\nS end 9001\n");
    try {
      const r = await fake({ FAKE_REPLAY: replay, FAKE_ON_SIGINT: end }, ["-c", "-p", String(Deno.pid)]);
      assert.equal(r.code, 0, r.stderr);
      return r.stderr;
    } finally {
      await Deno.remove(replay);
      await Deno.remove(end);
    }
  };
  assert.match(await note(0), /CAP_NET_RAW was only refused, to processes that exited 0 all the same/);
  // Exit status 1 (256 as the kernel keeps it): a process that failed, perhaps for want of it.
  assert.doesNotMatch(await note(256), /only refused/);
});

Deno.test("a summary that begins but stops coming is replaced by END's, asked for with SIGINT", async () => {
  await summaryFromEnd("S begin\n@n: 1\n", /^captrace: the summary stopped before its end: sending SIGINT$/m);
});

Deno.test("a summary that takes longer than half a second to print, but keeps coming, is waited for", async () => {
  // A big map takes bpftrace seconds to print; here a line comes every 0.2 s, 1.2 s in all.
  const slow = await temp("S begin\n@n: 1\n@p: 2\n@agg[0, 5, 13, -1, 41, 0]: 1\n@agg[1, 5, 13, -1, 41, 0]: 6\nS end\n");
  const r = await afterRootExit("", 99, { FAKE_REPLAY_SLOW: slow });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /sending SIGINT/);
  assert.match(r.stderr, /^cap_net_raw +7 +0 +7 +7 +0 +1 socket$/m, "the counts of the summary printed slowly");
  await Deno.remove(slow);
});

Deno.test("a tracer silent but busy (sorting a big map) is waited for, not interrupted", async () => {
  // The summary begins, then the stand-in spins for about 1.5 s on this machine before printing the rest.
  const later = await temp("@agg[0, 5, 13, -1, 41, 0]: 7\nS end\n");
  const r = await afterRootExit("S begin\n@n: 7\n@p: 2\n", 99, {
    FAKE_BUSY_LOOPS: "1500000",
    FAKE_REPLAY_LATER: later,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /sending SIGINT/);
  assert.match(r.stderr, /^cap_net_raw +7 +0 +7 +7 +0 +1 socket$/m);
  await Deno.remove(later);
});

/**
 * captrace with a command (`sleep 987.654`) on the stand-in tracer given `env`, sent SIGTERM after each of `gaps` ms
 * (the first counted from the tracer's start, or from READY when `ready`); what it printed and how it ended. No
 * stand-in is left running, even when it ignores signals (FAKE_STUCK). On a kernel with the tracepoint, unless
 * `tracepoint` is false.
 */
async function signalled(
  env: Record<string, string>,
  gaps: number[],
  ready: boolean,
  tracepoint = true,
  options: string[] = [],
) {
  return await onKernel(tracepoint, async (wrapper) => {
    const argv = [...wrapper, Deno.execPath(), ...CLI, "--bpftrace", FAKE, ...options, "--", "sleep", "987.654"];
    const child = new Deno.Command(argv[0]!, {
      args: argv.slice(1),
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: { FAKE_PROBES: "kprobe", FAKE_TEST: "signalled", ...env },
    }).spawn();
    const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
    let err = "";
    try {
      // Bounded: a captrace that ends early ends the wait, and the test fails with what it printed.
      if (ready) {
        while (!err.includes("Hit Ctrl-C")) {
          const r = await reader.read();
          assert.ok(!r.done, `captrace ended before its trace began:\n${err}`);
          err += r.value;
        }
      } else {
        // A stuck one is waited for until it ignores signals: signalled as it starts, it would end at once.
        const stuck = env.FAKE_STUCK !== undefined;
        for (let i = 0; !(await standInRuns("FAKE_TEST=signalled", "program.bt", stuck)); i++) {
          assert.ok(i < 200, "the stand-in tracer started within 10 s");
          await _sleep(50);
        }
      }
      // A signal due after captrace ended is not sent: the test's timing did not hold (a loaded machine), and says so.
      const unsent: number[] = [];
      for (const [i, gap] of gaps.entries()) {
        await _sleep(gap);
        try {
          child.kill("SIGTERM");
        } catch {
          unsent.push(i + 1);
        }
      }
      const deadline = setTimeout(() => child.kill("SIGKILL"), 10_000);
      for (let r = await reader.read(); !r.done; r = await reader.read()) err += r.value;
      const status = await child.status;
      clearTimeout(deadline);
      assert.deepEqual(
        unsent,
        [],
        `captrace had ended before signal ${unsent.join(" and ")} of ${gaps.length}:\n${err}`,
      );
      return { err, status, command: await processesMatching("987.654") };
    } finally {
      const left = await processesWithEnv("FAKE_TEST=signalled");
      for (const pid of left) Deno.kill(Number(pid), "SIGKILL");
      assert.deepEqual(left, [], "the tracer was left running");
    }
  });
}

function _sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

Deno.test("a program that prints another's version is no bpftrace: exit 3", async () => {
  const r = await fake({ FAKE_VERSION: "cat (GNU coreutils) 9.1" }, ["-p", String(Deno.pid)]);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^captrace: '.+ --version' did not print a bpftrace version$/m);
});

Deno.test("a third signal, a second after the second, ends captrace whose tracer no longer answers", async () => {
  const replay = await temp("READY 1000\n");
  // The second signal comes a second after the first, by when captrace has seen the command end (killed by the
  // first): it then asks the tracer to stop, and the third, more than a second later, kills it. (Two seconds: a
  // second as captrace's clock reads it when it handles each, which a loaded machine may make later.)
  const r = await signalled({ FAKE_REPLAY: replay, FAKE_STUCK: "1" }, [0, 1000, 2000], true);
  assert.notEqual(r.status.signal, "SIGKILL", `still running 10 s after the third signal:\n${r.err}`);
  assert.match(r.err, /^captrace: bpftrace was killed when the trace was stopped: it did not answer$/m);
  assert.deepEqual(r.command, [], "the command was killed");
  await Deno.remove(replay);
});

Deno.test("a second signal, a second after the first, ends captrace whose tracer hangs before READY", async () => {
  const replay = await temp("");
  // Its version comes late, so that the signals wait for the tracer itself, not for the first processes to run.
  // The second comes 2 s after the first: over a second as captrace's clock reads them, on a loaded machine too.
  const r = await signalled({ FAKE_REPLAY: replay, FAKE_STUCK: "1", FAKE_VERSION_SLEEP: "0.5" }, [0, 2000], false);
  assert.equal(r.status.code, 128 + 15, r.err);
  assert.match(r.err, /^captrace: Stopped by SIGTERM before the trace began: the command did not run$/m);
  assert.deepEqual(r.command, [], "the command never ran");
  await Deno.remove(replay);
});

Deno.test("a signal before the trace began: --json ends with an error event saying so, exit 128 + N", async () => {
  const replay = await temp("");
  const env = { FAKE_REPLAY: replay, FAKE_STUCK: "1", FAKE_VERSION_SLEEP: "0.5" };
  const r = await signalled(env, [0, 2000], false, true, ["--json"]);
  assert.equal(r.status.code, 128 + 15, r.err);
  // Nothing else: no trace began.
  assert.deepEqual(r.err.trim().split("\n").map((l) => JSON.parse(l)), [{
    v: 1,
    type: "error",
    message: "Stopped by SIGTERM before the trace began: the command did not run",
    hint: null,
    exit_code: 143,
  }]);
  assert.deepEqual(r.command, [], "the command never ran");
  await Deno.remove(replay);
});

Deno.test("a signal while READY waits for bpftrace's version ends captrace as before READY: the command never runs", async () => {
  // READY is read at once; the version, asked of the same stand-in, comes 3 s later: the signal comes between.
  // (On the kprobe path: the tracepoint's waits for the version before starting bpftrace.) What the tracer prints
  // after READY is not shown either.
  const replay = await temp(
    "READY 1000\nC 2000 77 77 1 0 0 13 -1 41 4026531837 4026531837 0 0 sleep\n    cap_capable+131\n\nX 3000 77 9 1\n",
  );
  const end = await temp("S begin\n@n: 0\n@p: 0\nS end\n");
  const env = { FAKE_REPLAY: replay, FAKE_ON_SIGINT: end, FAKE_VERSION_SLEEP: "3" };
  const r = await signalled(env, [300], false, false);
  assert.equal(r.status.code, 128 + 15, r.err);
  assert.match(r.err, /^captrace: Stopped by SIGTERM before the trace began: the command did not run$/m);
  assert.doesNotMatch(r.err, /Hit Ctrl-C/, "no trace began");
  assert.doesNotMatch(r.err, /cap_net_raw|\+\+\+|checks seen/, r.err);
  assert.deepEqual(r.command, [], "the command never ran");
  for (const f of [replay, end]) await Deno.remove(f);
});

Deno.test("Ctrl-C three times in quick succession keeps END's summary while bpftrace prints it", async () => {
  const replay = await temp("READY 1000\n");
  const end = await temp("S begin\n@n: 1\n@p: 0\n@agg[0, 5, 13, -1, 41, 0]: 1\nS end\n");
  // The stand-in takes 0.5 s to answer SIGINT, as bpftrace detaching its probes.
  const r = await signalled(
    { FAKE_REPLAY: replay, FAKE_ON_SIGINT: end, FAKE_SIGINT_SLEEP: "0.5" },
    [0, 100, 100],
    true,
  );
  assert.doesNotMatch(r.err, /stopped unexpectedly/);
  assert.match(r.err, /^captrace: 1 checks seen, /m);
  await Deno.remove(replay);
  await Deno.remove(end);
});

Deno.test("a signal after captrace itself interrupted the tracer does not kill it while END's summary comes", async () => {
  // The root's exit, then no answer to the summary request: captrace sends SIGINT after 0.5 s, and END's summary
  // takes 3 s more. The user's two signals come 1.2 and 1.7 s after READY: the second goes to the tracer.
  const replay = await temp(PING_THEN_EXIT);
  const end = await temp(endSummary(1));
  const r = await signalled({ FAKE_REPLAY: replay, FAKE_ON_SIGINT: end, FAKE_SIGINT_SLEEP: "3" }, [1200, 500], true);
  assert.doesNotMatch(r.err, /stopped unexpectedly/);
  assert.match(r.err, /^captrace: 1 checks seen, 1 shown/m);
  await Deno.remove(replay);
  await Deno.remove(end);
});

Deno.test("events read out of time order (one CPU's buffer after another's) are shown in time order", async () => {
  // bpftrace read the exit of process 7 (CPU 0) before its thread's last check (CPU 1), and the root's exit last.
  const check = (ts: number) => `C ${ts} 7 8 5 0 0 13 -1 41 4026531837 4026531837 0 0 ping\n    cap_capable+131\n\n`;
  const replay = await temp(`READY 1000\n${check(2000)}X 6000 7 0 0\n${check(5000)}X 9000 5 0 1\n`);
  const end = await temp("S begin\n@n: 2\n@p: 5\n@agg[0, 7, 13, -1, 41, 1, 0]: 2\nS end\n");
  const r = await fake({ FAKE_REPLAY: replay, FAKE_ON_SIGINT: end }, ["-p", String(Deno.pid)]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => / ping |\+\+\+/.test(l));
  assert.deepEqual(lines.map((l) => l.includes(" ping ") ? "check" : l), [
    "check",
    "check",
    "+++ 7 exited with 0 +++",
    "+++ 5 exited with 0 +++",
  ]);
  await Deno.remove(replay);
  await Deno.remove(end);
});

/**
 * --pid on the stand-in tracer, in a new directory `dir`: the records of `replay`, those of `later` 0.2 s after (too
 * late to be put in order), then the summary of `end` when interrupted, all three written by `recording(dir)`. The
 * summary's programs whose files are under `dir` (named from there), with their capabilities.
 */
async function programsWhenLate(recording: (dir: string) => { replay: string; later: string; end: string }) {
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    const texts = recording(dir);
    const files = { replay: `${dir}/replay.txt`, later: `${dir}/later.txt`, end: `${dir}/end.txt` };
    for (const k of ["replay", "later", "end"] as const) await Deno.writeTextFile(files[k], texts[k]);
    const out = `${dir}/trace.ndjson`;
    const r = await fake(
      { FAKE_REPLAY: files.replay, FAKE_REPLAY_LATER: files.later, FAKE_ON_SIGINT: files.end },
      ["--json", "-o", out, "-p", String(Deno.pid)],
    );
    assert.equal(r.code, 0, r.stderr);
    const summary = ndjson(await Deno.readTextFile(out)).at(-1)!;
    const programs = (summary.recommendation as { programs: { path: string; capabilities: string[] }[] }).programs;
    return programs.filter((p) => p.path.startsWith(`${dir}/`)).map((
      p,
    ) => [p.path.slice(dir.length + 1), p.capabilities]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a check read after its process's next exec or exit, but made before, is charged to the program then", async () => {
  // Process 4200007 (above any pid: the kernel stops at 2^22) runs tool-a, then tool-b. Its CAP_NET_RAW check before
  // that exec, and its CAP_SYS_ADMIN check before its exit, come from another CPU's buffer 0.2 s after the records
  // that follow them: too late to be put in order.
  const check = (ts: number, cap: number) =>
    `C ${ts} 4200007 4200007 4200005 0 0 ${cap} -1 41 4026531837 4026531837 0 0 tool\n    cap_capable+131\n\n`;
  const programs = await programsWhenLate((dir) => ({
    replay: `READY 1000\nE 1500 4200007 4200005 0 0 0 ${dir}/tool-a\nE 2000 4200007 4200005 0 0 0 ${dir}/tool-b\n${
      check(2500, 12)
    }X 3000 4200007 0 0\n`,
    later: `${check(1800, 13)}${check(2900, 21)}X 9000 5 0 1\n`,
    end: "S begin\n@n: 3\n@p: 7\n@agg[0, 4200007, 12, -1, 41, 1, 0]: 1\n@agg[0, 4200007, 13, -1, 41, 1, 0]: 1\n" +
      "@agg[0, 4200007, 21, -1, 41, 1, 0]: 1\nS end\n",
  }));
  assert.deepEqual(programs, [["tool-a", ["CAP_NET_RAW"]], ["tool-b", ["CAP_NET_ADMIN", "CAP_SYS_ADMIN"]]]);
});

Deno.test("a fork's first check, read after the fork's exit or exec, is charged to its parent's program", async () => {
  // Process 4200007 runs tool-a and forks 4200008 and 4200009 (above any pid). Their first checks come 0.2 s late,
  // after the one's exit and the other's exec: until then nothing said whose children they were.
  const check = (ts: number, pid: number, cap: number) =>
    `C ${ts} ${pid} ${pid} 4200007 0 0 ${cap} -1 41 4026531837 4026531837 0 0 tool\n    cap_capable+131\n\n`;
  const programs = await programsWhenLate((dir) => ({
    replay:
      `READY 1000\nE 1500 4200007 4200005 0 0 0 ${dir}/tool-a\nX 2000 4200008 0 0\nE 2100 4200009 4200007 0 0 0 ${dir}/tool-b\n${
        check(2500, 4200009, 12)
      }`,
    later: `${check(1800, 4200008, 6)}${check(1900, 4200009, 13)}X 9000 5 0 1\n`,
    end: "S begin\n@n: 3\n@p: 7\n@agg[0, 4200008, 6, -1, 41, 1, 0]: 1\n@agg[0, 4200009, 13, -1, 41, 1, 0]: 1\n" +
      "@agg[0, 4200009, 12, -1, 41, 1, 0]: 1\nS end\n",
  }));
  assert.deepEqual(programs, [["tool-a", ["CAP_SETGID", "CAP_NET_RAW"]], ["tool-b", ["CAP_NET_ADMIN"]]]);
});

Deno.test("Ctrl-C while captrace waits for a reader of its -o FIFO ends it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  const fifo = `${dir}/trace`;
  const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assert.ok(mk.success);
  const p = new Deno.Command(Deno.execPath(), {
    stdin: "null",
    args: [...CLI, "-o", fifo, "--", "/bin/true"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await new Promise((r) => setTimeout(r, 500)); // captrace is blocked opening the FIFO: no reader comes
  p.kill("SIGINT");
  const killer = setTimeout(() => p.kill("SIGKILL"), 10_000);
  const status = await p.status;
  clearTimeout(killer);
  // Ended by the signal itself: nothing was made yet that would need removing.
  assert.ok(status.signal === "SIGINT" || status.code === 130, JSON.stringify(status));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an event still held for its order when the stream ends is shown, even after a later last record", async () => {
  // The last record comes without its terminator: the parser gives it at the end, 60 ms after the one held.
  const check = (ts: number, comm: string) =>
    `C ${ts} 5 5 1 0 0 13 -1 41 4026531837 4026531837 0 0 ${comm}\n    cap_capable+131`;
  const replay = await temp(`READY 1000\n${check(2000, "first")}\n\n${check(60_000_000, "second")}`);
  const r = await fake({ FAKE_REPLAY: replay }, ["-p", String(Deno.pid)]);
  assert.match(r.stderr, / first +5 opt=0 "cap_net_raw"/);
  assert.match(r.stderr, / second +5 opt=0 "cap_net_raw"/);
  assert.ok(r.stderr.indexOf(" first ") < r.stderr.indexOf(" second "), r.stderr);
  await Deno.remove(replay);
});

Deno.test("records with pids no kernel gives (bad tracer output) neither hang nor crash captrace", async () => {
  const execs = Array.from({ length: 80 }, (_, i) => `E ${1_000_100_000 + i * 1000} -1 200 0 0 0 /usr/bin/true`);
  const checks = Array.from({ length: 40 }, (_, i) => {
    const ts = 1_000_200_000 + i * 1000;
    return `C ${ts} ${300 + i} ${300 + i} 200 1000 1000 12 -1 54 4026531837 4026531837 0 0 x\n        ns_capable+45\n`;
  });
  const replay = await temp(
    [
      "Attaching 8 probes...",
      "READY 1000000000",
      ...execs,
      ...checks,
      "X 1000300000 3000000000 0 0",
      "S begin",
      "@n: 40",
      "S end",
      "",
    ].join("\n"),
  );
  try {
    const r = await fake({ FAKE_PROBES: "", FAKE_REPLAY: replay }, ["-c", "-p", String(Deno.pid)], 20_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^captrace: 40 checks seen/m);
    assert.doesNotMatch(r.stderr, /Internal error/);
  } finally {
    await Deno.remove(replay);
  }
});

Deno.test("without mkfifo, captrace says so and exits 3, leaving nothing in TMPDIR", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "captrace-test-tmp-" });
  // Not on PATH, nor in the system's directories, where captrace looks too: /usr/bin/mkfifo covered in a mount
  // namespace of the run's own (/bin/mkfifo is the same file where /bin is /usr/bin).
  const hide = ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c"];
  const cover =
    'for f in /usr/bin/mkfifo /bin/mkfifo; do [ -f "$f" ] && /bin/mount --bind /dev/null "$f"; done; exec "$@"';
  try {
    const r = await runCli(["--bpftrace", FAKE, "--", "/bin/true"], {
      env: { PATH: "/nonexistent", TMPDIR: tmp },
      wrapper: [...hide, cover, "sh"],
    });
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /^captrace: Cannot create the launch gate: mkfifo was not found$/m);
    assert.doesNotMatch(r.stderr, /Internal error/);
    assert.deepEqual([...Deno.readDirSync(tmp)], []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the temporary directories of a captrace that was killed are removed by the next run", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "captrace-test-tmp-" });
  try {
    // A run killed with SIGKILL leaves them: its pid (none has this one) is in their names. Others' are left.
    for (const d of ["captrace-999999999-ab12", "captrace-control-999999999-cd34", "captrace-1-ef56", "other"]) {
      await Deno.mkdir(`${tmp}/${d}`);
      await Deno.writeTextFile(`${tmp}/${d}/gate`, "");
    }
    const r = await fake({ FAKE_REPLAY: TRACEPOINT, TMPDIR: tmp }, ["-p", String(Deno.pid)]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name).sort(), ["captrace-1-ef56", "other"]);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("from a PID namespace of its own, captrace says it cannot trace there and exits 3, running nothing", async () => {
  const r = await runCli(["--bpftrace", FAKE, "--", "/bin/true"], { wrapper: ["unshare", "-fp", "--mount-proc"] });
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^captrace: Cannot trace from a PID namespace of its own \(pid:\[\d+\]\)/m);
  assert.match(r.stderr, /--pid=host/);
});

Deno.test("a signal while bpftrace does not answer at the start ends captrace as the signal asks", async () => {
  const marker = `CAPTRACE_TEST_HUNG_${Deno.pid}_${Date.now()}`;
  try {
    for (const mode of [["-p", "1"], ["--", "/bin/true"]]) {
      // The stand-in's --version never answers (it sleeps first); captrace is interrupted a second later.
      const started = performance.now();
      const child = new Deno.Command(Deno.execPath(), {
        args: [...CLI, "--bpftrace", FAKE, ...mode],
        env: { FAKE_VERSION_SLEEP: "600", [marker]: "1" },
        stdout: "null",
        stderr: "piped",
      }).spawn();
      await new Promise((r) => setTimeout(r, 1000));
      child.kill("SIGINT");
      const out = await child.output();
      assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
      assert.ok(performance.now() - started < 10_000, "it ended at the signal, not at a timeout");
    }
  } finally {
    // The stand-in is a shell: its sleep outlives it (a real bpftrace --version is one process, killed).
    for (const pid of await processesWithEnv(marker)) Deno.kill(Number(pid), "SIGKILL");
  }
});

Deno.test("an error after the version check started leaves no bpftrace --version running", async () => {
  const marker = `CAPTRACE_TEST_VERSION_${Deno.pid}_${Date.now()}`;
  const r = await runCli(["--bpftrace", FAKE, "-u", "nosuchuser-captrace-test", "--", "/bin/true"], {
    env: { FAKE_VERSION_SLEEP: "0.5", [marker]: "1" },
  });
  assert.equal(r.code, 2, r.stderr);
  assert.deepEqual(await processesWithEnv(marker), [], "the version check was left running");
});

Deno.test("a command name with a newline or a control character is shown escaped in the error, on one line", async () => {
  const r = await runCli(["--", "./no\nsuch\x1b[31m"]);
  assert.equal(r.code, 127);
  assert.equal(r.stderr, "captrace: Command './no\\nsuch\\x1b[31m' was not found\nCheck the path\n");
});
