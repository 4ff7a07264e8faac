/** The CLI against the real kernel and the real bpftrace: launch, follow, threads, --pid, exit status, signals. */

import assert from "node:assert/strict";
import {
  CLI,
  copyProgram,
  endsSoon,
  fixture,
  inTempDir,
  isRunning,
  ndjson,
  processesMatching,
  readWatching,
  requireTracing,
  rootOwnedFile,
  runCli,
  runJson,
  traceInBackground,
  tracerOf,
  waitForProcess,
  waitForReady,
} from "./helpers.ts";
import { basename, relative } from "node:path";
import { effectiveCaps, ignores } from "../cli/procfs.ts";

/** A file of root's that nobody may read but not chown: each test's refused cap_chown, whatever this machine's files. */
const OWNED = await rootOwnedFile();

const CHOWN_DENIED =
  /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d chown {12}(\d+) opt=0 "cap_chown" -> -1 \(operation not permitted\) syscall=fchownat$/m;

Deno.test("chown as nobody (-u) gives a denied cap_chown in the original's line format", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const r = await runCli(["-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  assert.match(r.stderr, /^Tracing capability checks \(tracepoint\)… Hit Ctrl-C to end\.$/m);
  assert.match(r.stderr, CHOWN_DENIED);
  assert.match(r.stderr, /Operation not permitted/); // chown's own message still reaches stderr
  assert.equal(r.code, 1, "exit status is chown's own");
  assert.match(
    r.stderr,
    /^captrace: \d+ checks seen, 1 shown, \d+ hidden .* 0 lost, \d+ launcher checks before exec left out; probe tracepoint/m,
  );
});

/** The command of the README's `## Quick start` that runs captrace: its first `sh` block. */
async function _quickStart(): Promise<string> {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const section = readme.slice(readme.indexOf("## Quick start"));
  const m = /```sh\n(.+)\n```/.exec(section);
  assert.ok(m, "the README's Quick start has a sh block");
  return m[1]!;
}

/**
 * The environment of a shell the user typed in: this one's, but for INIT_CWD, which a `deno task` running the suite
 * sets (and a nested `deno task` keeps, as npm's scripts do).
 */
function _typedEnv(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  return { ...env, TZ: "UTC", NO_COLOR: "1" };
}

Deno.test("the README's quick start, as written, shows chown's denied cap_chown", async () => {
  await requireTracing();
  const command = await _quickStart();
  // Its set-up is the suite's own (the README's test command runs it first): not run again here, where it could
  // replace the Deno this suite runs on.
  const setUp = "bash test/install_deps.sh && ";
  assert.ok(command.startsWith(setUp), command);
  assert.match(command, /deno task captrace .*chown/);
  const r = await new Deno.Command("bash", {
    args: ["-c", command.slice(setUp.length)],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
    clearEnv: true,
    env: _typedEnv(),
  }).output();
  const stderr = new TextDecoder().decode(r.stderr);
  assert.match(stderr, CHOWN_DENIED);
  assert.equal(r.code, 1, `chown's own exit status: ${stderr.slice(-500)}`);
});

Deno.test("deno task captrace runs where it was typed: a relative command and -o are found there", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir({ prefix: "captrace-task-" });
  try {
    await Deno.copyFile("/bin/true", `${dir}/my-true`);
    await Deno.chmod(`${dir}/my-true`, 0o755);
    const root = new URL("..", import.meta.url).pathname;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--config", `${root}deno.json`, "captrace", "-o", "trace.txt", "--", "./my-true"],
      cwd: dir,
      stdin: "null",
      clearEnv: true,
      env: _typedEnv(),
    }).output();
    const stderr = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 0, stderr);
    assert.match(await Deno.readTextFile(`${dir}/trace.txt`), /^captrace: \d+ checks seen, /m);
    assert.equal(await Deno.stat(`${root}trace.txt`).then(() => true, () => false), false, "none in the repository");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("chown under setpriv as nobody is traced through the setpriv exec", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const r = await runCli([
    "--",
    "/usr/bin/setpriv",
    "--reuid=65534",
    "--regid=65534",
    "--clear-groups",
    "--",
    "/usr/bin/chown",
    "65534",
    file,
  ]);
  assert.match(r.stderr, CHOWN_DENIED);
  // setpriv itself, as root, changes ids: those checks are allowed and insetid.
  assert.match(r.stderr, /setpriv +\d+ opt=4 "cap_setuid" -> 0 syscall=setresuid$/m);
  assert.equal(r.code, 1);
});

Deno.test("a child of sh -c is followed and keeps its own pid", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const r = await runJson(["-u", "nobody", "--", "/bin/sh", "-c", `/usr/bin/chown nobody ${file}; exit 3`]);
  assert.equal(r.code, 3, "exit status is the shell's");
  const events = r.events;
  const ready = events.find((e) => e.type === "ready");
  assert.ok(ready, "a ready event comes first");
  const root = ready.pid as number;
  const check = events.find((e) => e.type === "check" && e.cap_name === "cap_chown");
  assert.ok(check, "the child's cap_chown check is reported");
  assert.notEqual(check.pid, root);
  assert.equal(check.ppid, root);
  assert.equal(check.verdict, "denied");
  assert.equal(check.uid, 65534);
  const exits = events.filter((e) => e.type === "exit");
  assert.deepEqual(exits.map((e) => [e.pid === root, e.code]).sort(), [[false, 1], [true, 3]]);
});

Deno.test("-u: kill(0) reaching captrace in the command's process group is no need; a kill of root's process is", async () => {
  await requireTracing();
  // A shell's `kill 0` (trap 'kill 0' EXIT): captrace, root, shares the group; without captrace no check is made.
  const own = await runJson(["-v", "-c", "-u", "nobody", "--", "/bin/sh", "-c", "kill -WINCH 0; exit 3"]);
  assert.equal(own.code, 3, own.stderr);
  const kills = own.events.filter((e) => e.type === "check" && e.cap_name === "cap_kill");
  assert.ok(kills.length > 0, "the checks are shown with -v");
  for (const k of kills) assert.deepEqual([k.verdict, k.syscall_name, k.opts, k.audit], ["denied", "kill", 2, false]);
  const summary = own.events.at(-1)!;
  assert.equal(summary.type, "summary");
  assert.deepEqual((summary.recommendation as { capabilities: string[] }).capabilities, []);
  // Signalling a process of root's (pid 1) needs CAP_KILL indeed.
  const other = await runJson(["-c", "-u", "nobody", "--", "/bin/sh", "-c", "kill -0 1 2>/dev/null; exit 3"]);
  assert.equal(other.code, 3, other.stderr);
  const kill = other.events.find((e) => e.type === "check" && e.cap_name === "cap_kill");
  assert.deepEqual([kill?.verdict, kill?.opts, kill?.audit], ["denied", 0, true]);
  assert.deepEqual((other.events.at(-1)!.recommendation as { capabilities: string[] }).capabilities, ["CAP_KILL"]);
});

Deno.test("a terminal hung up (EIO on stderr) drops the trace; a command that survives the hangup runs to its end", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir();
  await Deno.chmod(dir, 0o777);
  const [started, done] = [`${dir}/started`, `${dir}/done`];
  await Deno.writeTextFile(started, "", { mode: 0o666 });
  await Deno.chmod(started, 0o666);
  // SIGHUP caught: the hangup does not end the command. Its checks after it have trace lines written to the terminal,
  // which fail.
  const file = await rootOwnedFile();
  const command = `trap 'echo hup >> ${started}' HUP; echo > ${started}; i=0; while [ $i -lt 20 ]; do ` +
    `chown nobody ${file} 2>/dev/null; sleep 0.1; i=$((i + 1)); done; echo ok > ${done}`;
  const quote = (w: string) => `'${w.replaceAll("'", `'\\''`)}'`;
  const line = [Deno.execPath(), ...CLI, "-u", "nobody", "--", "/bin/sh", "-c", command].map(quote).join(" ");
  // script(1) gives captrace a terminal; killing it hangs that terminal up, as a dropped ssh connection does.
  const term = new Deno.Command("script", { args: ["-q", "-c", line, "/dev/null"], stdin: "piped", stdout: "null" })
    .spawn();
  await written(started, "the command did not start");
  term.kill("SIGKILL");
  await term.status;
  for (let i = 0; !(await Deno.stat(done).then(() => true, () => false)); i++) {
    if (i === 100) throw new Error("the command was ended with captrace's trace: no 'done' within 5 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(await Deno.readTextFile(done), "ok\n");
  for (let i = 0; (await processesMatching(done)).length > 0; i++) {
    if (i === 100) throw new Error(`left running: ${await processesMatching(done)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("SIGTERM to captrace while the command is stopped ends it: the command is continued to take it", async () => {
  await requireTracing();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const p = new Deno.Command(Deno.execPath(), {
    args: [...CLI, "--json", "-o", out, "--", "/bin/sleep", "28.1828"],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const ready = await waitForReady(out);
  const sleep = ready.pid as number;
  Deno.kill(sleep, "SIGSTOP");
  await new Promise((r) => setTimeout(r, 200));
  Deno.kill(p.pid, "SIGTERM");
  // Not ended within 10 s: both killed (the stopped command holds the stderr pipe open), and the test fails.
  const timer = setTimeout(() => {
    p.kill("SIGKILL");
    Deno.kill(sleep, "SIGKILL");
  }, 10_000);
  const status = await p.output();
  clearTimeout(timer);
  assert.equal(status.code, 128 + 15, "the command ended by the SIGTERM it was given, not left stopped");
  assert.deepEqual(await processesMatching("28.1828"), []);
  await Deno.remove(out);
});

Deno.test("each thread of a multi-threaded program shows its own tid", async () => {
  await requireTracing();
  const bin = await fixture("caps_threads");
  const file = await rootOwnedFile();
  const r = await runCli(["-u", "nobody", "--", bin, file]);
  assert.equal(r.code, 0);
  const lines = [
    ...r.stderr.matchAll(
      /caps_threads +(\d+)\+\{(\d+)\} opt=0 "cap_chown" -> -1 \(operation not permitted\) syscall=chown$/gm,
    ),
  ];
  assert.equal(lines.length, 4, r.stderr);
  const pids = new Set(lines.map((m) => m[1]));
  const tids = new Set(lines.map((m) => m[2]));
  assert.equal(pids.size, 1, "one process");
  assert.equal(tids.size, 4, "four distinct threads");
  assert.ok(!tids.has([...pids][0]!), "no worker thread is the main thread");
});

Deno.test("--pid of a process in a user namespace of its own says that the capabilities it holds are held there", async () => {
  await requireTracing();
  const inside = new Deno.Command("unshare", { args: ["-Ur", "sleep", "30"], stdin: "null" }).spawn();
  try {
    // unshare execs sleep: the same pid, once in its namespace.
    const ns = await (async () => {
      for (let i = 0; i < 100; i++) {
        const link = await Deno.readLink(`/proc/${inside.pid}/ns/user`).catch(() => "");
        if (link !== "" && link !== Deno.readLinkSync("/proc/self/ns/user")) return link;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error("unshare made no user namespace");
    })();
    const trace = await traceInBackground(["-p", String(inside.pid)]);
    const limits = trace.ready.limits as string[];
    assert.ok(limits.some((l) => l.endsWith(` capabilities in ${ns}, a user namespace of its own`)), limits.join("\n"));
    await trace.stop();
  } finally {
    inside.kill("SIGKILL");
    await inside.status;
  }
});

Deno.test("--pid traces a running process and ends when it exits", async () => {
  await requireTracing();
  const bin = await fixture("wait_signal");
  const target = new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", bin],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = target.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await reader.read();
  const pid = Number(/ready (\d+)/.exec(first.value ?? "")?.[1]);
  assert.ok(pid > 0, "the target printed its pid");
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const tracer = _traceToFile(out, ["-p", String(pid)]);
  try {
    // Wait for the ready event before poking: checks before the attach are not traced.
    for (let i = 0; i < 200 && !(await Deno.readTextFile(out)).includes('"ready"'); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    Deno.kill(pid, "SIGUSR1");
    assert.match((await reader.read()).value ?? "", /poked/);
    Deno.kill(pid, "SIGTERM");
    const status = await tracer.output();
    assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
    const events = ndjson(await Deno.readTextFile(out));
    const nice = events.find((e) => e.type === "check" && e.cap_name === "cap_sys_nice");
    assert.ok(nice, "the poke's cap_sys_nice check is traced");
    assert.equal(nice.pid, pid);
    assert.equal(nice.verdict, "denied");
    assert.equal(nice.syscall_name, "setpriority");
    const exit = events.find((e) => e.type === "exit" && e.pid === pid);
    assert.equal(exit?.signal, 15);
    const summary = events.at(-1)!;
    assert.equal(summary.type, "summary");
    const rec = summary.recommendation as Record<string, unknown>;
    assert.equal(rec.setcap, `setcap cap_sys_nice+ep ${bin}`, "the setcap line names the traced program");
  } finally {
    reader.releaseLock();
    await target.stdout.cancel().catch(() => {});
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
    await target.status;
    await Deno.remove(out);
  }
});

Deno.test("--pid charges a child that ran before the attach to its own program, not the traced parent's", async () => {
  await requireTracing();
  const bin = await fixture("wait_signal");
  // A shell (the traced process) whose child, started before the attach, never executes anything after it.
  const shell = new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c", `${bin} & wait`],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = shell.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const child = Number(/ready (\d+)/.exec((await reader.read()).value ?? "")?.[1]);
  assert.ok(child > 0, "the child printed its pid");
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const tracer = _traceToFile(out, ["-p", String(shell.pid)]);
  try {
    await waitForReady(out);
    Deno.kill(child, "SIGUSR1");
    assert.match((await reader.read()).value ?? "", /poked/);
    Deno.kill(child, "SIGTERM"); // the shell's wait ends, and so does the shell: the trace ends
    const status = await tracer.output();
    assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
    const rec = ndjson(await Deno.readTextFile(out)).at(-1)?.recommendation as Record<string, unknown>;
    assert.deepEqual(rec.programs, [
      { path: bin, placed: true, mount_ns: null, script: false, interpreter: false, capabilities: ["CAP_SYS_NICE"] },
    ]);
  } finally {
    reader.releaseLock();
    await shell.stdout.cancel().catch(() => {});
    for (const pid of [child, shell.pid]) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await shell.status;
    await Deno.remove(out);
  }
});

Deno.test("the trace ends with the command, and names the processes it started that still run", async () => {
  await requireTracing();
  // Their output elsewhere: the run is over when captrace is, not when they are.
  // Their durations mark them: no other process on the machine has these in its command line (it gets SIGKILL).
  const script = "/bin/sleep 7.3141591 >/dev/null 2>&1 & /bin/sleep 7.3141592 >/dev/null 2>&1 & /bin/true; exit 0";
  const r = await runCli(["--", "/bin/sh", "-c", script]);
  const left = await processesMatching("7.314159");
  try {
    assert.equal(r.code, 0, r.stderr);
    const pids = left.map((l) => Number.parseInt(l)).sort((a, b) => a - b);
    assert.equal(pids.length, 2, left.join("\n"));
    assert.match(
      r.stderr,
      new RegExp(
        `^captrace: the traced process ended, and 2 processes it started still run \\((${pids[0]} sleep, ${
          pids[1]
        } sleep|${pids[1]} sleep, ${pids[0]} sleep)\\): their later checks are not traced$`,
        "m",
      ),
    );
  } finally {
    for (const l of left) Deno.kill(Number.parseInt(l), "SIGKILL");
  }
  // None left: nothing to say.
  assert.doesNotMatch((await runCli(["--", "/bin/sh", "-c", "/bin/true; exit 0"])).stderr, /still run/);
  // With --json on stderr there is no notice: the summary's note says it, for a reader or a --baseline run in CI.
  const json = await runCli(["--json", "--", "/bin/sh", "-c", script.replaceAll("7.314159", "7.414159")]);
  const late = await processesMatching("7.414159");
  try {
    const summary = ndjson(json.stderr).at(-1);
    assert.equal(summary?.type, "summary", json.stderr);
    const note = (summary?.recommendation as { note: string }).note;
    assert.match(
      note,
      /The traced command ended while 2 processes it started were still running \(\d+ sleep, \d+ sleep\): checks they made later are not covered\.$/,
    );
  } finally {
    for (const l of late) Deno.kill(Number.parseInt(l), "SIGKILL");
  }
});

Deno.test("--summary-only's text is the summary: of the exits, only the command's is shown (-v: all)", async () => {
  await requireTracing();
  const script = "/bin/true; /bin/true; exit 3";
  const quiet = await runCli(["--summary-only", "--", "/bin/sh", "-c", script]);
  assert.equal(quiet.code, 3, quiet.stderr);
  const exits = quiet.stderr.match(/^\+\+\+ .*$/gm) ?? [];
  assert.equal(exits.length, 1, quiet.stderr);
  assert.match(exits[0]!, /^\+\+\+ \d+ exited with 3 \+\+\+$/);
  const verbose = await runCli(["--summary-only", "-v", "--", "/bin/sh", "-c", script]);
  assert.equal(verbose.stderr.match(/^\+\+\+ \d+ exited with 0 \+\+\+$/gm)?.length, 2, verbose.stderr);
});

Deno.test("--pid charges a subshell to the traced shell, though the shell has exec'd another program by then", async () => {
  await requireTracing();
  // The shell waits for a line, then forks a subshell and becomes sleep; the subshell's checks come after that.
  const script = "read go; (/bin/sleep 0.2; ulimit -n 100; ulimit -n 101) & exec /bin/sleep 1";
  for (const mode of [[], ["--summary-only"]]) {
    const shell = new Deno.Command("/bin/sh", { args: ["-c", script], stdin: "piped", stderr: "null" }).spawn();
    const out = await Deno.makeTempFile({ suffix: ".ndjson" });
    const tracer = _traceToFile(out, [...mode, "-p", String(shell.pid)]);
    try {
      const rec = await _recommendationAfterGo(out, tracer, shell);
      const programs = rec.programs as { path: string; capabilities: string[] }[];
      assert.deepEqual(
        programs.map((p) => [p.path, p.capabilities]),
        [[Deno.realPathSync("/bin/sh"), ["CAP_SYS_RESOURCE"]]],
        mode.join(" "),
      );
    } finally {
      try {
        shell.kill("SIGKILL");
      } catch {
        // already gone
      }
      await shell.status;
      await Deno.remove(out);
    }
  }
});

Deno.test("--pid of a process whose bounding set lacks a capability leaves it out of its setcap line", async () => {
  await requireTracing();
  await inTempDir(0o700, async (dir) => {
    // There before captrace writes it, as waitForReady reads it.
    const out = `${dir}/trace.ndjson`;
    await Deno.writeTextFile(out, "");
    const prlimit = await copyProgram("/usr/bin/prlimit", `${dir}/prlimit`);
    // Root without CAP_SYS_RESOURCE in its bounding set (so not in its sets either once sh runs), as in a container;
    // raising a hard limit asks for it. captrace's own bounding set is not the one read.
    const script = `read go; ulimit -n 1024; exec ${prlimit} -n1024:8192 true`;
    const target = new Deno.Command("setpriv", {
      args: ["--bounding-set", "-sys_resource", "--", "/bin/sh", "-c", script],
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      // Until setpriv has cut the set and exec'd the shell (or failed: then the test does, within 5 s).
      for (
        let i = 0;
        basename(await Deno.readLink(`/proc/${target.pid}/exe`).catch(() => "setpriv")) === "setpriv";
        i++
      ) {
        assert.ok(i < 500, "setpriv did not run the shell");
        await new Promise((r) => setTimeout(r, 10));
      }
      const rec = await _recommendationAfterGo(out, _traceToFile(out, ["-p", String(target.pid)]), target);
      assert.deepEqual(rec.capabilities, ["CAP_SYS_RESOURCE"]);
      assert.match(
        rec.setcap as string,
        new RegExp(`^# ${prlimit} asked for cap_sys_resource, outside the bounding set`),
      );
    } finally {
      try {
        target.kill("SIGKILL");
      } catch {
        // ended
      }
      await target.status;
    }
  });
});

Deno.test("--pid of a process whose main thread has ended names its program, read through another thread", async () => {
  await requireTracing();
  const bin = await fixture("leader_exits");
  const file = await rootOwnedFile();
  const target = new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", bin, file],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = target.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  try {
    assert.match((await reader.read()).value ?? "", /ready/);
    const rec = await _recommendationAfterGo(out, _traceToFile(out, ["-p", String(target.pid)]), target);
    assert.equal(rec.setcap, `setcap cap_chown+ep ${bin}`);
  } finally {
    reader.releaseLock();
    await target.stdout.cancel().catch(() => {});
    try {
      target.kill("SIGKILL");
    } catch {
      // already gone
    }
    await target.status;
    await Deno.remove(out);
  }
});

Deno.test("the command sees in argv[0] the name it was called by, a relative path too", async () => {
  await requireTracing();
  // /bin/sh by a path relative to the working directory: "$0" of `sh -c` is its own argv[0].
  const sh = relative(Deno.cwd(), "/bin/sh");
  assert.ok(sh.startsWith("../"), sh);
  for (const name of [sh, "sh"]) {
    const r = await runCli(["-o", "/dev/null", "--", name, "-c", 'echo "$0"']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${name}\n`);
  }
});

Deno.test("the command gets arguments that are not UTF-8 as the bytes they were, -u too", async () => {
  await requireTracing();
  // Deno cannot pass such bytes either: bash gives them to captrace, whose command prints its $1 in hex.
  const cli = [Deno.execPath(), ...CLI].map((w) => `'${w}'`).join(" ");
  for (const user of ["", "-u nobody"]) {
    const script = `${cli} -o /dev/null ${user} -- /bin/sh -c 'printf %s "$1" | od -An -tx1; printf "%s|" "$2"' x ` +
      `$'a\\xffb\\\\c\\n' '%d\\n'`;
    const r = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped", stderr: "piped" }).output();
    const out = new TextDecoder().decode(r.stdout);
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    assert.equal(out.replace(/\s+/g, " ").trim(), "61 ff 62 5c 63 0a %d\\n|", user);
  }
  // Among 5,000 more, in their order (the command prints its argument count, then its last argument).
  const many = `${cli} -o /dev/null -- /bin/sh -c 'echo $#; eval "echo \\\${$#}"' x $'\\xe9' $(seq -f 'w%g' 5000)`;
  const r = await new Deno.Command("bash", { args: ["-c", many], stdout: "piped", stderr: "piped" }).output();
  assert.equal(new TextDecoder().decode(r.stdout), "5001\nw5000\n", new TextDecoder().decode(r.stderr));
});

Deno.test("a command whose name is not UTF-8 is refused with a hint, and the hint's shell runs it", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    // Deno cannot name such a file either: bash makes it, and gives its name to captrace.
    const cli = [Deno.execPath(), ...CLI].map((w) => `'${w}'`).join(" ");
    const tool = `'${dir}/'$'t\\xffl'`;
    const make = `printf '#!/bin/sh\\necho ran "$@"\\n' > ${tool} && chmod 755 ${tool}`;
    const run = async (args: string) => {
      const r = await new Deno.Command("bash", { args: ["-c", `${make} && ${cli} -o /dev/null ${args}`] }).output();
      return { code: r.code, stdout: new TextDecoder().decode(r.stdout), stderr: new TextDecoder().decode(r.stderr) };
    };
    const refused = await run(`-- ${tool} a`);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stdout, "");
    assert.equal(
      refused.stderr,
      "captrace: The command's name is not UTF-8, which captrace cannot look up\n" +
        `Run it through a shell, which gets it as given: captrace [options] -- sh -c 'exec "$0" "$@"' COMMAND [ARGS]\n`,
    );
    const through = await run(`-- sh -c 'exec "$0" "$@"' ${tool} a`);
    assert.equal(through.code, 0, through.stderr);
    assert.equal(through.stdout, "ran a\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the command gets captrace's environment unchanged by the launcher's own variables", async () => {
  await requireTracing();
  // bash gives captrace `_` (the path it ran) and the variables exported; the command prints them. The gate that decodes
  // words that are not UTF-8 (the second run) has variables of its own too.
  const cli = [Deno.execPath(), ...CLI].map((w) => `'${w}'`).join(" ");
  const show = `/bin/sh -c 'printf "%s|" "$_" "$e" "$m" "$k" "$c"' x`;
  for (const arg of ["plain", "$'\\xff'"]) {
    const script = `export e=E m=M k=K c=C; ${cli} -o /dev/null -- ${show} ${arg}`;
    const r = await new Deno.Command("bash", { args: ["-c", script], stdout: "piped", stderr: "piped" }).output();
    assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    assert.equal(new TextDecoder().decode(r.stdout), `${Deno.execPath()}|E|M|K|C|`, arg);
  }
});

Deno.test("the command's exit status and death by signal are passed through", async () => {
  await requireTracing();
  assert.equal((await runCli(["--", "/bin/sh", "-c", "exit 42"])).code, 42);
  assert.equal((await runCli(["--", "/bin/sh", "-c", "kill -TERM $$"])).code, 128 + 15);
  // A real-time signal has no name Deno knows: its status is still read, and the exit line names it.
  const rt = await runCli(["--", "/bin/sh", "-c", "kill -36 $$"]);
  assert.equal(rt.code, 128 + 36, rt.stderr);
  assert.match(rt.stderr, /^\+\+\+ \d+ killed by SIG36 \+\+\+$/m);
});

Deno.test("a process killed with a core dump says so, as the kernel does", async () => {
  await requireTracing();
  // Its only thread dumps the core; or a second thread does, and the main thread, which exits last, does not.
  const bin = await fixture("core_dump");
  for (const how of [[], ["thread"]]) await _coreDumped(bin, how);
});

async function _coreDumped(bin: string, how: string[]): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    const r = await runCli(["--json", "--", bin, dir, ...how]);
    assert.equal(r.code, 0, r.stderr);
    // The fixture's own wait status says whether the kernel wrote the core (core_pattern decides, per machine).
    const [, core, pid] = /^core ([01]) pid (\d+)$/m.exec(r.stdout) ?? [];
    assert.ok(core, r.stdout);
    const exit = ndjson(r.stderr).find((e) => e.type === "exit" && e.pid === Number(pid));
    assert.deepEqual([exit?.signal, exit?.core_dumped], [11, core === "1"], r.stderr);
    const text = await runCli(["--", bin, dir, ...how]);
    const line = new RegExp(
      `^\\+\\+\\+ \\d+ killed by SIGSEGV${core === "1" ? " \\(core dumped\\)" : ""} \\+\\+\\+$`,
      "m",
    );
    assert.match(text.stderr, line, how.join(" "));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("SIGINT mid-trace stops the command and bpftrace and leaves nothing behind", async () => {
  await requireTracing();
  const marker = "31.4159";
  const { p, out } = await _launchedAndReady(["/bin/sleep", marker]);
  const tracer = await tracerOf(p.pid);
  assert.ok(tracer !== null, "bpftrace is running");
  p.kill("SIGINT");
  const status = await p.output();
  assert.equal(status.code, 128 + 2, "sleep was killed by the forwarded SIGINT");
  assert.deepEqual(await processesMatching(marker), [], "the command is gone");
  assert.ok(await endsSoon(tracer), "its bpftrace is gone");
  const events = ndjson(await Deno.readTextFile(out));
  assert.equal(events.at(-1)?.type, "summary", "the summary was still written");
  await Deno.remove(out);
});

/** captrace launching `argv` with a --json trace to a file, once its trace runs and `settleMs` more have passed. */
async function _launchedAndReady(argv: string[], settleMs = 0): Promise<{ p: Deno.ChildProcess; out: string }> {
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const p = new Deno.Command(Deno.execPath(), {
    stdin: "null",
    args: [...CLI, "--json", "-o", out, "--", ...argv],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let ready = false;
  for (let i = 0; i < 200 && !ready; i++) {
    await new Promise((r) => setTimeout(r, 50));
    ready = ndjson(await Deno.readTextFile(out)).some((e) => e.type === "ready");
  }
  assert.ok(ready, "the trace started");
  await new Promise((r) => setTimeout(r, settleMs));
  return { p, out };
}

Deno.test("SIGUSR1 neither opens Deno's debugger nor ends the trace; SIGUSR2 goes on to the command", async () => {
  await requireTracing();
  // The command's own SIGUSR1 is its own: neither ignored nor caught by captrace.
  const script = 'trap "echo got-usr1 >&2" USR1; kill -USR1 $$; trap "echo got-usr2 >&2" USR2; sleep 1.5 & wait; ' +
    "sleep 0.5; echo done >&2";
  // Deno takes SIGUSR1 half a second after its start; captrace takes it back right after: the signal comes later.
  const { p, out } = await _launchedAndReady(["/bin/sh", "-c", script], 1000);
  p.kill("SIGUSR1");
  await new Promise((r) => setTimeout(r, 300));
  p.kill("SIGUSR2");
  const r = await p.output();
  const err = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 0, err);
  assert.doesNotMatch(err, /Debugger listening/);
  assert.match(err, /^got-usr1$/m, "the command's own SIGUSR1 trap ran");
  assert.match(err, /^got-usr2\ndone$/m, "the command took SIGUSR2 and ran to its end");
  assert.equal(ndjson(await Deno.readTextFile(out)).at(-1)?.type, "summary");
  await Deno.remove(out);
});

Deno.test("SIGALRM and SIGVTALRM stop a launched command as SIGTERM does, summary included", async () => {
  await requireTracing();
  for (const [sig, n] of [["SIGALRM", 14], ["SIGVTALRM", 26]] as const) {
    const marker = sig === "SIGALRM" ? "27.1828" : "27.1829";
    const { p, out } = await _launchedAndReady(["/bin/sleep", marker]);
    p.kill(sig);
    const r = await p.output();
    assert.equal(r.code, 128 + n, `sleep was killed by the forwarded ${sig}`);
    assert.deepEqual(await processesMatching(marker), [], "the command is gone");
    const events = ndjson(await Deno.readTextFile(out));
    assert.equal(events.at(-1)?.type, "summary", "the summary was still written");
    assert.ok(events.some((e) => e.type === "exit" && e.signal === n), JSON.stringify(events.slice(-3)));
    await Deno.remove(out);
  }
});

Deno.test("-o - writes the trace to stdout, its notices still to stderr", async () => {
  await requireTracing();
  const json = await runCli(["--json", "-o", "-", "--", "/bin/true"]);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(ndjson(json.stdout).map((e) => e.type), ["ready", "exec", "exit", "summary"]);
  const text = await runCli(["-o", "-", "-u", "nobody", "--", "chown", "nobody", OWNED]);
  assert.match(text.stdout, /^.* chown +\d+ opt=0 "cap_chown" -> -1 \(operation not permitted\) syscall=fchownat$/m);
  assert.match(text.stderr, /^captrace: \d+ checks seen/m);
  assert.ok(!(await Deno.stat("-").catch(() => null)), "no file named -");
});

Deno.test("a trace that cannot be written stops the command and exits 1 with the reason", async () => {
  await requireTracing();
  // The command would say "alive" 3 s after its check, unless stopped; its sleep does not hold stderr open.
  const script = `chown nobody ${OWNED}; sleep 3 >/dev/null 2>&1 & wait; echo alive >&2`;
  const r = await runCli(["-u", "nobody", "-o", "/dev/full", "--", "/bin/sh", "-c", script], { killAfterMs: 20_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^captrace: Cannot write the trace to '\/dev\/full': No space left on device/m);
  assert.match(r.stderr, /^Free some space, or write the trace elsewhere with -o FILE$/m);
  assert.ok(!r.stderr.includes("alive"), "the command was stopped");
  // Nothing was written: its checks are dropped, for that reason, none shown.
  assert.match(r.stderr, /^captrace: \d+ checks seen, 0 shown, [1-9]\d* dropped \(the trace could not be written\), /m);
  // Another failure than a full disk gets no advice about space.
  const eio = await runCli(["-o", "/proc/version", "--", "/bin/true"], { killAfterMs: 20_000 });
  assert.equal(eio.code, 1, eio.stderr);
  assert.match(eio.stderr, /^captrace: Cannot write the trace to '\/proc\/version': Input\/output error/m);
  assert.match(eio.stderr, /^Write the trace elsewhere with -o FILE$/m);
});

Deno.test("a disk that fills part way: the checks shown are those whose lines are in the file, the rest dropped", async () => {
  await requireTracing();
  const loop = await fixture("caps_loop");
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  const mount = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", "size=16k", "tmpfs", dir] }).output();
  assert.equal(mount.code, 0, "mount a small tmpfs");
  try {
    const r = await runCli(["-u", "nobody", "-o", `${dir}/trace.txt`, "--", loop, "100000"], { killAfterMs: 30_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /No space left on device/);
    // Whole lines only: the last one may be cut where the disk filled.
    const lines = (await Deno.readTextFile(`${dir}/trace.txt`)).split("\n").slice(0, -1)
      .filter((l) => / "cap_setgid" -> -1 /.test(l));
    assert.ok(lines.length > 0, "part of the trace is in the file");
    const m = / (\d+) checks seen, (\d+) shown, (\d+) dropped \(the trace could not be written\), /.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.equal(Number(m[2]), lines.length, m[0]);
  } finally {
    await new Deno.Command("umount", { args: [dir] }).output();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a -o pipe whose reader goes away stops the command and exits 1: nobody reads the trace", async () => {
  await requireTracing();
  const cli = [Deno.execPath(), ...CLI].map((w) => `'${w}'`).join(" ");
  // Refused a check every 0.2 s for 4 s, unless stopped.
  const command =
    `/bin/sh -c 'for i in $(seq 20); do chown nobody ${OWNED} 2>/dev/null; sleep 0.2; done; echo alive >&2'`;
  // A pipe of the trace's own (not stdout, which the command shares: see below).
  const script = `${cli} -o >(head -c 10 >/dev/null) -u nobody -- ${command}`;
  const r = await new Deno.Command("bash", { args: ["-c", script], stdout: "null", stderr: "piped" }).output();
  const err = new TextDecoder().decode(r.stderr);
  assert.equal(r.code, 1, err);
  assert.match(err, /^captrace: Cannot write the trace to '\/dev\/fd\/\d+': its reader went away$/m);
  assert.ok(!err.includes("alive"), "the command was stopped");
});

Deno.test("-o - (or /dev/stdout) whose reader goes away: the command, which shares stdout, runs on, and stderr says so", async () => {
  await requireTracing();
  const cli = [Deno.execPath(), ...CLI].map((w) => `'${w}'`).join(" ");
  const command = `/bin/sh -c 'for i in $(seq 10); do chown nobody ${OWNED} 2>/dev/null; sleep 0.05; done; exit 7'`;
  for (const output of ["-", "/dev/stdout"]) {
    const script = `${cli} -c -o ${output} -u nobody -- ${command} | head -c 10 >/dev/null; exit \${PIPESTATUS[0]}`;
    const r = await new Deno.Command("bash", { args: ["-c", script], stdout: "null", stderr: "piped" }).output();
    const err = new TextDecoder().decode(r.stderr);
    assert.equal(r.code, 7, `-o ${output}: ${err}`);
    assert.match(err, /^captrace: the trace's reader went away: the rest of the trace is dropped$/m);
    // The checks after that are dropped, not shown, and the completeness line counts them so.
    const m = / (\d+) checks seen, (\d+) shown, (\d+) dropped \(the trace's reader went away\), /.exec(err);
    assert.ok(m, err);
    assert.ok(Number(m[3]) > 0 && Number(m[2]) + Number(m[3]) <= Number(m[1]), m[0]);
  }
});

Deno.test("a reader that stops reading keeps no signal from captrace: SIGTERM ends it, exit 1, the command stopped", async () => {
  await requireTracing();
  const loop = await fixture("caps_loop");
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  const fifo = `${dir}/trace`;
  assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
  // Holds the FIFO open for reading, and reads nothing.
  const holder = new Deno.Command("/bin/sh", { args: ["-c", `exec 3<${fifo}; exec sleep 60`] }).spawn();
  // Its stderr is not captrace's: that pipe ends with captrace, whatever becomes of the command.
  const command = ["/bin/sh", "-c", `exec 2>/dev/null; while :; do ${loop} 2000; done`];
  try {
    // The trace to the FIFO, then to a stderr pipe that is never read; then, to the FIFO, a command that ends on its
    // own, leaving less queued than holds the reading of bpftrace up: captrace waits for the reader at its end.
    const ended = ["/bin/sh", "-c", `exec 2>/dev/null; ${loop} 3000`];
    for (const [output, cmd] of [[["-o", fifo], command], [[], command], [["-o", fifo], ended]]) {
      const p = new Deno.Command(Deno.execPath(), {
        args: [...CLI, ...output!, "-u", "nobody", "--", ...cmd!],
        env: { TZ: "UTC" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      // Long enough for the trace to fill the pipe and its queue behind it.
      await new Promise((r) => setTimeout(r, 4000));
      p.kill("SIGTERM");
      // A guard, not a measure: a captrace stuck in its write would end only when killed here (137).
      const guard = setTimeout(() => p.kill("SIGKILL"), 30_000);
      const status = await p.status;
      clearTimeout(guard);
      const err = output!.length > 0 ? new TextDecoder().decode(await new Response(p.stderr).arrayBuffer()) : "";
      if (output!.length === 0) await p.stderr.cancel();
      assert.equal(status.code, 1, `${output!.join(" ") || "stderr"} ${cmd!.at(-1)}: exit ${status.code} ${err}`);
      if (output!.length > 0) {
        assert.match(err, /^captrace: Cannot write the trace to '.*\/trace': its reader stopped reading /m);
        assert.match(err, /^Keep reading the trace until captrace ends$/m);
        // What the pipe took is shown; the rest, queued when the reader stopped, is dropped and said so.
        assert.match(
          err,
          /^captrace: \d+ checks seen, \d+ shown, [1-9]\d* dropped \(the trace could not be written\)/m,
        );
      }
      assert.deepEqual(await processesMatching(loop), [], "the command was stopped");
    }
  } finally {
    holder.kill("SIGKILL");
    await holder.status;
    await Deno.remove(dir, { recursive: true });
    // Whatever a failure left running.
    await new Deno.Command("pkill", { args: ["-KILL", "-f", loop] }).output();
  }
});

/** A shell loop refused CAP_CHOWN every 0.1 s until killed, run as nobody. */
function _loopChown(): Deno.ChildProcess {
  const loop = `while :; do chown nobody ${OWNED} 2>/dev/null; sleep 0.1; done`;
  return new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "/bin/sh", "-c", loop],
    stderr: "null",
  }).spawn();
}

Deno.test("with --pid or system-wide, a reader of the trace on stderr that goes away ends it with exit 1", async () => {
  await requireTracing();
  const loop = _loopChown();
  const cli = [Deno.execPath(), ...CLI].map((w) => `'${w}'`).join(" ");
  try {
    for (const mode of [`-p ${loop.pid}`, ""]) {
      // `timeout` guards against a trace that never ends: it would exit 124.
      const script = `timeout 30 ${cli} ${mode} 2>&1 | head -n 2 >/dev/null; exit \${PIPESTATUS[0]}`;
      const r = await new Deno.Command("bash", { args: ["-c", script], stdout: "null", stderr: "piped" }).output();
      assert.equal(r.code, 1, `${mode || "system-wide"}: ${new TextDecoder().decode(r.stderr)}`);
    }
    assert.ok(await isRunning(loop.pid), "the traced process is left running");
  } finally {
    loop.kill("SIGKILL");
    await loop.status;
  }
});

Deno.test("a stopped bpftrace is killed at the first signal, in every mode, and captrace says why", async () => {
  await requireTracing();
  const loop = _loopChown();
  try {
    for (
      const [mode, signal] of [
        [["-p", String(loop.pid)], "SIGINT"],
        [[], "SIGTERM"],
        [["-u", "nobody", "--", "/bin/sh", "-c", "exec sleep 60"], "SIGINT"],
      ] as const
    ) {
      const p = new Deno.Command(Deno.execPath(), {
        args: [...CLI, "-o", "/dev/null", ...mode],
        env: { TZ: "UTC" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const what = mode.length === 0 ? "system-wide" : mode.join(" ");
      let tracer: number | undefined;
      try {
        // Its bpftrace, once the trace runs, stopped as a debugger or a stray SIGSTOP would.
        for (let i = 0; i < 100 && tracer === undefined; i++) {
          await new Promise((r) => setTimeout(r, 100));
          const kids = await Deno.readTextFile(`/proc/${p.pid}/task/${p.pid}/children`).catch(() => "");
          for (const k of kids.split(" ").filter((k) => k !== "")) {
            // The tracer, not the version check: bpftrace -B line PROGRAM.
            const argv = (await Deno.readTextFile(`/proc/${k}/cmdline`).catch(() => "")).split("\0");
            if (/bpftrace$/.test(argv[0] ?? "") && argv.includes("-B")) tracer = Number(k);
          }
        }
        assert.ok(tracer !== undefined, `${what}: no bpftrace`);
        const stopped = tracer;
        // Stopped once the trace runs: its probes attached, as captrace's banner says (not a guess at how long that
        // takes, which a loaded machine can outrun).
        let started: number | undefined;
        let deadline: ReturnType<typeof setTimeout> | undefined;
        const [err, out] = await Promise.all([
          readWatching(p.stderr, "Hit Ctrl-C", () => {
            Deno.kill(stopped, "SIGSTOP");
            started = performance.now();
            // One signal: where it asks for the summary first (system-wide), the SIGINT that follows finds bpftrace
            // stopped; with a command, the command's end does.
            p.kill(signal);
            // Not ended by then (a second signal waited for), it is killed: the exit status says so.
            deadline = setTimeout(() => p.kill("SIGKILL"), 10_000);
          }),
          p.status,
        ]);
        clearTimeout(deadline);
        assert.ok(started !== undefined, `${what}: captrace ended before its trace began:\n${err}`);
        assert.equal(out.code, 1, `${what}: ${err}`);
        assert.match(err, /^captrace: bpftrace was killed when the trace was stopped: it was stopped$/m, what);
        assert.ok(performance.now() - started < 10_000, `${what}: ended by the first signal`);
      } finally {
        // A stopped bpftrace left behind (the test failed) would hold its probes until killed.
        for (const [pid, sig] of [[p.pid, "SIGKILL"], [tracer, "SIGKILL"]] as const) {
          try {
            if (pid !== undefined) Deno.kill(pid, sig);
          } catch {
            // ended
          }
        }
      }
    }
  } finally {
    loop.kill("SIGKILL");
    await loop.status;
  }
});

Deno.test("bpftrace ended by another process is a failed trace in every mode, with no summary; the command is stopped", async () => {
  await requireTracing();
  const loop = _loopChown();
  try {
    for (
      const [mode, signal] of [
        [["-u", "nobody", "--", "/bin/sh", "-c", "sleep 61.25; echo never"], "SIGTERM"],
        [["-p", String(loop.pid)], "SIGINT"],
        [[], "SIGTERM"],
      ] as const
    ) {
      const what = mode.length === 0 ? "system-wide" : mode.join(" ");
      const file = await Deno.makeTempFile({ suffix: ".ndjson" });
      const p = new Deno.Command(Deno.execPath(), {
        args: [...CLI, "-c", "--json", "-o", file, ...mode],
        env: { TZ: "UTC" },
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      const output = p.output();
      try {
        await waitForReady(file);
        const tracer = await tracerOf(p.pid);
        assert.ok(tracer !== null, `${what}: no bpftrace`);
        // As an admin's kill, or a script's pkill bpftrace, would.
        Deno.kill(tracer, signal);
        const deadline = setTimeout(() => p.kill("SIGKILL"), 15_000);
        const out = await output;
        clearTimeout(deadline);
        const err = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 1, `${what}: ${err}`);
        assert.match(err, /^captrace: bpftrace ended before captrace stopped it: another process ended it/m, what);
        const events = ndjson(await Deno.readTextFile(file));
        assert.equal(events.at(-1)?.type, "error", what);
        assert.ok(!events.some((e) => e.type === "summary"), `${what}: no summary`);
      } finally {
        try {
          p.kill("SIGKILL");
        } catch {
          // ended
        }
        await output;
        await Deno.remove(file);
      }
    }
    assert.deepEqual(await processesMatching("sleep 61.25"), [], "the command's tree was stopped");
  } finally {
    loop.kill("SIGKILL");
    await loop.status;
  }
});

Deno.test("a reader of captrace's stderr that goes away early does not change the exit status", async () => {
  await requireTracing();
  const cli = [Deno.execPath(), ...CLI].map((w) => `'${w}'`).join(" ");
  const command = `/bin/sh -c 'chown nobody ${OWNED}; exit 7'`;
  const script = `${cli} -u nobody -- ${command} 2>&1 | head -n 1 >/dev/null; exit \${PIPESTATUS[0]}`;
  const r = await new Deno.Command("bash", { args: ["-c", script], stdout: "null", stderr: "piped" }).output();
  assert.equal(r.code, 7, new TextDecoder().decode(r.stderr));
});

Deno.test("a SIGINT in captrace's first moments ends it cleanly: no files left, the command never runs", async () => {
  await requireTracing();
  const tmp = await Deno.makeTempDir({ prefix: "captrace-test-tmp-" });
  const marker = "27.1828";
  for (const ms of [30, 45, 60, 75, 90, 120, 160, 220]) {
    const p = new Deno.Command(Deno.execPath(), {
      stdin: "null",
      args: [...CLI, "--", "/bin/sleep", marker],
      env: { TMPDIR: tmp },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    await new Promise((r) => setTimeout(r, ms));
    p.kill("SIGINT");
    const status = await p.output();
    // Before captrace listens, Deno's default action ends it (nothing made yet); after, captrace does: 130 both.
    assert.equal(status.code, 128 + 2, `SIGINT at ${ms} ms: ${new TextDecoder().decode(status.stderr)}`);
    assert.deepEqual([...Deno.readDirSync(tmp)].map((e) => e.name), [], `files left by a SIGINT at ${ms} ms`);
    assert.deepEqual(await processesMatching(marker), [], `the command outlived a SIGINT at ${ms} ms`);
  }
  await Deno.remove(tmp);
});

Deno.test("exec events carry the file name as given to execve, relative and fd paths included", async () => {
  await requireTracing();
  const script = "cd /usr/bin && ./true && exec 3</bin/true && /usr/bin/env /dev/fd/3 2>/dev/null; exec ./true";
  const { events } = await runJson(["-v", "--", "/bin/sh", "-c", script]);
  const names = events.filter((e) => e.type === "exec").map((e) => e.filename);
  assert.deepEqual(names.slice(1), ["./true", "/usr/bin/env", "/dev/fd/3", "./true"], JSON.stringify(names));
});

Deno.test("--sites names the script of a short-lived interpreter: the command's, and one run by #!/usr/bin/env", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    await Deno.chmod(dir, 0o755);
    // The shell itself makes the check (its hard limit lowered, then raised: cap_sys_resource), and ends at once.
    const body = "ulimit -n 512; ulimit -n 1024 2>/dev/null; exit 0\n";
    const plain = `${dir}/limit.sh`;
    const viaEnv = `${dir}/limit-env.sh`;
    await Deno.writeTextFile(plain, body);
    await Deno.writeTextFile(viaEnv, "#!/usr/bin/env sh\n" + body);
    await Deno.chmod(viaEnv, 0o755);
    for (const command of [["/bin/sh", plain], [viaEnv]]) {
      const { code, stderr, events } = await runJson(["--sites", "-u", "nobody", "--", ...command]);
      assert.equal(code, 0, stderr);
      const checks = events.filter((e) => e.type === "check" && e.cap_name === "cap_sys_resource");
      assert.ok(checks.length > 0, `${command.join(" ")}: the shell's check`);
      const script = command.at(-1);
      assert.deepEqual(checks.map((e) => e.script), checks.map(() => script), command.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a traced exec of a file with capabilities makes a no-audit cap_sys_ptrace check, not one it needs", async () => {
  await requireTracing();
  // As under strace: the exec asks whether the tracer could have the capabilities the program gains
  // (ptracer_capable), without auditing. The tracepoint gives no flags: captrace infers them from that caller.
  const traced = await fixture("traced_exec");
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    await Deno.chmod(dir, 0o755);
    const capped = `${dir}/capped`;
    await Deno.copyFile("/bin/true", capped);
    await Deno.chmod(capped, 0o755);
    const setcap = await new Deno.Command("setcap", { args: ["cap_net_raw+ep", capped], stderr: "piped" }).output();
    assert.ok(setcap.success, new TextDecoder().decode(setcap.stderr));
    const { code, stderr, events } = await runJson(["-c", "-v", "-u", "nobody", "--", traced, capped]);
    assert.equal(code, 0, stderr);
    const ptrace = events.filter((e) => e.type === "check" && e.cap_name === "cap_sys_ptrace");
    assert.ok(ptrace.length > 0, "the exec's check is there");
    for (const e of ptrace) assert.ok(e.opts === 2 && e.audit === false, JSON.stringify(e));
    const summary = events.at(-1)!;
    const caps = (summary.recommendation as { capabilities: string[] }).capabilities;
    assert.ok(!caps.includes("CAP_SYS_PTRACE"), JSON.stringify(caps));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("nothing is lost between exec and the first checks: the stream matches the kernel's count", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const { events } = await runJson(["-v", "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  const exec = events.find((e) => e.type === "exec");
  assert.equal(exec?.filename, "/usr/bin/chown");
  const checks = events.filter((e) => e.type === "check");
  const summary = events.at(-1)!;
  assert.equal(summary.type, "summary");
  const totals = summary.totals as { seen: number; shown: number; hidden: number; lost: number };
  assert.equal(totals.lost, 0);
  assert.equal(totals.seen, checks.length, "every check the kernel counted was printed");
  assert.ok(checks.length > 5, "the dynamic loader's first mmaps are there");
  assert.equal(checks[0]!.comm, "chown");
  assert.ok((checks[0]!.ts as number) > (exec!.ts as number));
});

Deno.test("a command found on PATH gets the name it was given as argv[0], as from a shell", async () => {
  await requireTracing();
  for (const user of [[], ["-u", "nobody"]]) {
    const r = await runCli([...user, "--json", "--", "bash", "-c", 'echo "name: $0"']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split("\n").find((l) => l.startsWith("name: ")), "name: bash", JSON.stringify(user));
    // The kernel's record of the exec still names the file run.
    const exec = r.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l))
      .find((e) => e.type === "exec");
    assert.equal(await Deno.realPath(exec?.filename), await Deno.realPath("/usr/bin/bash"));
  }
});

Deno.test("under env -i, or with a PATH that has none of them, captrace finds bpftrace, its helpers and the command", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  for (const wrapper of [["env", "-i"], ["env", "-i", "PATH=/nonexistent"]]) {
    // chown on no PATH is found as execvp finds it (/usr/bin, /bin); setpriv, getent and bpftrace in the system's
    // directories. Before, the first gave an internal error (getent could not be spawned); the second ran setpriv by
    // name, which was not found (exit 127), and recommended nothing.
    const r = await runCli([
      "-u",
      "nobody",
      "-c",
      "--",
      ...(wrapper.length === 2 ? ["chown"] : ["/usr/bin/chown"]),
      "nobody",
      file,
    ], {
      wrapper,
    });
    assert.equal(r.code, 1, `${wrapper.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, /"cap_chown" -> -1/, wrapper.join(" "));
    assert.match(r.stderr, /^Recommendation: CAP_CHOWN$/m, wrapper.join(" "));
    assert.doesNotMatch(r.stderr, /node_compat_bin/, "Deno's own PATH entry is not the user's");
  }
});

Deno.test("a command given by a relative path through a link runs under the link's name, as given", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  await Deno.writeTextFile(`${dir}/real-name.sh`, '#!/bin/sh\necho "name: $0"\n', { mode: 0o755 });
  await Deno.symlink("real-name.sh", `${dir}/link-name.sh`);
  const r = await runCli(["--", "./link-name.sh"], { wrapper: ["env", "-C", dir] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "name: ./link-name.sh\n", "a multi-call program goes by the name it was run as");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an exec of the command that fails as the user reads as the command's failure, not captrace's", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  await Deno.chmod(dir, 0o755);
  // The script nobody may run; its interpreter, a copy of sh, only root may.
  await Deno.copyFile("/bin/sh", `${dir}/interp`);
  await Deno.chmod(`${dir}/interp`, 0o700);
  await Deno.writeTextFile(`${dir}/run.sh`, `#!${dir}/interp\necho hi\n`, { mode: 0o755 });
  const r = await runCli(["-u", "nobody", "--", `${dir}/run.sh`]);
  assert.equal(r.code, 126, r.stderr);
  assert.match(r.stderr, new RegExp(`^captrace: the command: \\d+: exec: ${dir}/run.sh: Permission denied$`, "m"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a script whose interpreter is missing fails with 127, as in a shell, naming the interpreter", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  await Deno.writeTextFile(`${dir}/bad.sh`, "#!/nonexistent/interp\necho hi\n", { mode: 0o755 });
  const r = await runCli(["--", `${dir}/bad.sh`]);
  assert.equal(r.code, 127, r.stderr);
  assert.equal(
    r.stderr,
    `captrace: Command '${dir}/bad.sh' cannot run: its interpreter '/nonexistent/interp' was not found\n` +
      "Install the interpreter, or fix the script's #! line\n",
    "said before the trace starts, without captrace's files",
  );
  // Windows line endings: the kernel looks for "/bin/sh\r".
  await Deno.writeTextFile(`${dir}/crlf.sh`, "#!/bin/sh\r\necho hi\r\n", { mode: 0o755 });
  const crlf = await runCli(["--", `${dir}/crlf.sh`]);
  assert.equal(crlf.code, 127, crlf.stderr);
  assert.match(crlf.stderr, /its interpreter '\/bin\/sh\\r' was not found\nIts #! line ends in a carriage return/);
  // As the kernel reads the line: the file's end ends it too, and a NUL does.
  await Deno.writeTextFile(`${dir}/noeol.sh`, "#!/nonexistent/interp", { mode: 0o755 });
  const noeol = await runCli(["--", `${dir}/noeol.sh`]);
  assert.equal(noeol.code, 127, noeol.stderr);
  assert.match(noeol.stderr, /its interpreter '\/nonexistent\/interp' was not found/);
  await Deno.writeTextFile(`${dir}/nul.sh`, "#!/bin/sh\0junk\necho nul\n", { mode: 0o755 });
  const nul = await runCli(["--", `${dir}/nul.sh`]);
  assert.equal(nul.code, 0, nul.stderr);
  assert.equal(nul.stdout, "nul\n");
  // An interpreter that is there, given relative to the working directory as the kernel takes it, runs.
  await Deno.writeTextFile(`${dir}/rel.sh`, "#!./sh\necho hi\n", { mode: 0o755 });
  await Deno.symlink("/bin/sh", `${dir}/sh`);
  const rel = await runCli(["--", "./rel.sh"], { wrapper: ["env", "-C", dir] });
  assert.equal(rel.code, 0, rel.stderr);
  assert.equal(rel.stdout, "hi\n");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an unusable TMPDIR is a clear error (3), for a command and for --pid", async () => {
  await requireTracing();
  for (const args of [["--", "/bin/true"], ["-p", String(Deno.pid)]]) {
    const r = await runCli(args, { env: { TMPDIR: "/nonexistent/tmp" }, killAfterMs: 20_000 });
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr,
      /^captrace: Cannot make a temporary directory in '\/nonexistent\/tmp': No such file or directory$/m,
    );
    assert.match(r.stderr, /^Check that TMPDIR names a writable directory, or unset it$/m);
  }
});

Deno.test("a directory given as the command fails with 126, as a shell says", async () => {
  await requireTracing();
  const r = await runCli(["--", "/usr/bin/"]);
  assert.equal(r.code, 126);
  assert.equal(r.stderr, "captrace: Command '/usr/bin/' is a directory\nGive the path of a program\n");
});

Deno.test("under -u, a program the user may not run fails with 126, with no finding that nothing is needed", async () => {
  await requireTracing();
  // Copies of true that only root may run: by the file's mode, or by a directory nobody may enter. Root's
  // capabilities must not run them for nobody, and a summary of a program that never ran would say nothing is needed.
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    await Deno.chmod(dir, 0o755);
    await Deno.mkdir(`${dir}/closed`, { mode: 0o700 });
    for (const [file, mode] of [[`${dir}/root-only`, 0o700], [`${dir}/closed/tool`, 0o755]] as const) {
      await Deno.copyFile("/bin/true", file);
      await Deno.chmod(file, mode);
    }
    for (const shown of [`${dir}/root-only`, `${dir}/closed/tool`]) {
      const r = await runCli(["-c", "-u", "nobody", "--", shown]);
      assert.equal(r.code, 126, r.stderr);
      assert.match(r.stderr, new RegExp(`^captrace: Command '${shown}' is not executable by nobody$`, "m"));
      assert.doesNotMatch(r.stderr, /Recommendation|Tracing capability checks/, "nothing was traced");
    }
    // By a relative path from its directory, as a shell would run it.
    const rel = await runCli(["-u", "nobody", "--", "./root-only"], { wrapper: ["env", "-C", dir] });
    assert.equal(rel.code, 126, rel.stderr);
    assert.match(rel.stderr, /^captrace: Command '\.\/root-only' is not executable by nobody$/m);
    // Root itself may.
    assert.equal((await runCli(["--", `${dir}/root-only`])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a command that does not exist fails with 127 and starts nothing", async () => {
  await requireTracing();
  const r = await runCli(["--", "/no/such/program-xyz"]);
  assert.equal(r.code, 127);
  assert.match(r.stderr, /^captrace: Command '\/no\/such\/program-xyz' was not found\nCheck the path\n$/);
  assert.deepEqual(await processesMatching("program-xyz"), []);
});

Deno.test("--pid of a process that does not exist fails with 4", async () => {
  await requireTracing();
  // The highest pid Linux can give; no process has it unless pid_max was raised and the pids ran that far.
  assert.ok(!(await Deno.stat("/proc/4194303").catch(() => null)), "pid 4194303 is free");
  const r = await runCli(["-p", "4194303"]);
  assert.equal(r.code, 4);
  assert.match(r.stderr, /No process with pid 4194303/);
});

Deno.test("--pid of a zombie fails with 4; of a thread or a kernel thread, with 2 and what to trace instead", async () => {
  await requireTracing();
  // sh forks a short sleep, then becomes a long one that never reaps it: the short one stays a zombie.
  const parent = new Deno.Command("sh", { args: ["-c", "sleep 0.01 & exec sleep 30"] }).spawn();
  try {
    let zombie = 0;
    for (let i = 0; i < 100 && !zombie; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const kids = (await Deno.readTextFile(`/proc/${parent.pid}/task/${parent.pid}/children`)).trim();
      const pid = Number(kids.split(" ")[0]);
      if (pid && /^State:\s*Z/m.test(await Deno.readTextFile(`/proc/${pid}/status`).catch(() => ""))) zombie = pid;
    }
    assert.ok(zombie, "the child became a zombie");
    const z = await runCli(["-p", String(zombie)], { killAfterMs: 20_000 });
    assert.equal(z.code, 4, z.stderr);
    assert.match(z.stderr, new RegExp(`^captrace: Process ${zombie} has already exited$`, "m"));
    assert.match(
      z.stderr,
      new RegExp(
        `^Give the pid of a running process: ${zombie} is a zombie \\('ps -p ${zombie}' shows <defunct>\\)`,
        "m",
      ),
    );
  } finally {
    parent.kill("SIGKILL");
    await parent.status;
  }
  // Deno runs threads of its own beside the main one.
  const child = new Deno.Command(Deno.execPath(), { stdin: "null", args: ["eval", "setTimeout(() => {}, 30_000)"] })
    .spawn();
  try {
    let tid = 0;
    for (let i = 0; i < 100 && !tid; i++) {
      await new Promise((r) => setTimeout(r, 50));
      for await (const t of Deno.readDir(`/proc/${child.pid}/task`)) {
        if (Number(t.name) !== child.pid) tid = Number(t.name);
      }
    }
    assert.ok(tid, "the program started its threads");
    const r = await runCli(["-p", String(tid)], { killAfterMs: 20_000 });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `captrace: ${tid} is a thread of process ${child.pid}\nTrace the process: captrace -p ${child.pid}\n`,
    );
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  // A kernel thread (kthreadd: its children are every kernel thread) makes no program's checks.
  const kthread = await runCli(["-p", "2"], { killAfterMs: 20_000 });
  assert.equal(kthread.code, 2, kthread.stderr);
  assert.equal(
    kthread.stderr,
    "captrace: Process 2 is a kernel thread\nTrace a user process, or the whole system (leave out -p)\n",
  );
});

Deno.test("--pid of captrace itself is refused: it cannot trace itself", async () => {
  await requireTracing();
  // The shell's pid is the one captrace gets when exec'd.
  const cli = [Deno.execPath(), ...CLI].map((w) => `'${w}'`).join(" ");
  const r = await new Deno.Command("sh", { args: ["-c", `exec ${cli} -p $$`], stderr: "piped" }).output();
  assert.equal(r.code, 2);
  assert.equal(
    new TextDecoder().decode(r.stderr),
    "captrace: captrace cannot trace itself\nGive the pid of another process\n",
  );
});

Deno.test("--pid of a process that ends while the probes are attached ends the trace instead of waiting", async () => {
  await requireTracing();
  for (const delay of ["0.05", "0.2", "0.4"]) {
    const target = new Deno.Command("sleep", { args: [delay] }).spawn();
    const r = await runCli(["-p", String(target.pid)], { killAfterMs: 20_000 });
    await target.status;
    // Gone before captrace looked, or before the probes were attached: 4, and says which. Gone after the attach: the
    // trace ends by itself with its exit, 0.
    const why = new RegExp(
      `^captrace: (No process with pid ${target.pid}|Process ${target.pid} (has already exited|exited before the ` +
        "probes were attached))$",
      "m",
    );
    const ended = new RegExp(`^\\+\\+\\+ ${target.pid} exited with 0 \\+\\+\\+$`, "m");
    assert.ok(r.code === 4 ? why.test(r.stderr) : r.code === 0 && ended.test(r.stderr), `sleep ${delay}: ${r.stderr}`);
  }
});

/** captrace with `args`, in the background, writing its NDJSON trace to `out`. */
function _traceToFile(out: string, args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [...CLI, "--json", "-o", out, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/**
 * Once the trace in `out` is ready, a line to `target`'s stdin (its go); then, captrace having ended with 0, the
 * recommendation its summary gives.
 */
async function _recommendationAfterGo(
  out: string,
  tracer: Deno.ChildProcess,
  target: Deno.ChildProcess,
): Promise<Record<string, unknown>> {
  await waitForReady(out);
  const w = target.stdin.getWriter();
  await w.write(new TextEncoder().encode("go\n"));
  await w.close();
  const status = await tracer.output();
  assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
  return ndjson(await Deno.readTextFile(out)).at(-1)?.recommendation as Record<string, unknown>;
}

/** Runs `command` under --stdin-control and closes captrace's stdin once the trace is ready. */
async function closeStdinOf(
  command: string[],
  running?: (events: Record<string, unknown>[]) => boolean,
): Promise<{ status: Deno.CommandOutput; events: Record<string, unknown>[] }> {
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const p = new Deno.Command(Deno.execPath(), {
    args: [...CLI, "--stdin-control", "--json", "-o", out, "--", ...command],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await waitForReady(out);
  // The command is released at the ready event: what it must have done before stdin closes is waited for too.
  for (let i = 0; running && !running(ndjson(await Deno.readTextFile(out))); i++) {
    if (i === 200) throw new Error("the command did not get going within 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
  await p.stdin.close();
  const status = await p.output();
  const events = ndjson(await Deno.readTextFile(out));
  await Deno.remove(out);
  return { status, events };
}

Deno.test("--stdin-control with stdin closed before the trace started: exit 1, said in the trace, nothing run", async () => {
  await requireTracing();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const marker = "31.4160";
  const r = await runCli(["--stdin-control", "--json", "-o", out, "--", "/bin/sleep", marker]);
  assert.equal(r.code, 1, r.stderr);
  const events = ndjson(await Deno.readTextFile(out));
  assert.deepEqual(events.map((e) => [e.type, e.exit_code]), [["error", 1]]);
  assert.match(events[0]!.message as string, /^Standard input closed before the trace started/);
  // Said once: no "stopping the trace" notice of a trace that never began.
  assert.doesNotMatch(r.stderr, /stopping the trace/);
  assert.deepEqual(await processesMatching(marker), [], "the command never ran");
  await Deno.remove(out);
});

Deno.test("--stdin-control: closing captrace's stdin stops the command and the trace", async () => {
  await requireTracing();
  const marker = "29.9792";
  const { status, events } = await closeStdinOf(["/bin/sleep", marker]);
  assert.equal(status.code, 128 + 15, "sleep got SIGTERM");
  assert.match(
    new TextDecoder().decode(status.stderr),
    /^captrace: standard input closed \(--stdin-control\): stopping the trace$/m,
    "says why it stopped",
  );
  assert.deepEqual(await processesMatching(marker), []);
  assert.equal(events.at(-1)?.type, "summary");
});

Deno.test("--stdin-control: a command that ignores SIGTERM is killed after a grace period", async () => {
  await requireTracing();
  // Its trap is set once it has exec'd sleep: a SIGTERM before that would end the shell.
  const { status, events } = await closeStdinOf(
    ["/bin/sh", "-c", "trap '' TERM; exec sleep 20"],
    (events) => events.some((e) => e.type === "exec" && String(e.filename).endsWith("/sleep")),
  );
  assert.equal(status.code, 128 + 9, "the command ignored SIGTERM and was killed");
  assert.equal(events.at(-1)?.type, "summary");
});

Deno.test("--stdin-control: the command's children are stopped with it, not left running untraced", async () => {
  await requireTracing();
  // sh waits for sleep in the foreground: a SIGTERM to sh alone would leave sleep running.
  const marker = "31.0001";
  const { status, events } = await closeStdinOf(
    ["/bin/sh", "-c", `/bin/sleep ${marker}; echo done`],
    (events) => events.some((e) => e.type === "exec" && String(e.filename).endsWith("/sleep")),
  );
  assert.equal(status.code, 128 + 15, new TextDecoder().decode(status.stderr));
  assert.deepEqual(await processesMatching(marker), [], "sleep was stopped too");
  assert.doesNotMatch(new TextDecoder().decode(status.stderr), /still runs?/);
  assert.equal(events.at(-1)?.type, "summary");
});

Deno.test("--stdin-control: a child that ignores SIGTERM is killed after the grace, though the command ended", async () => {
  await requireTracing();
  const marker = "31.0005";
  // A child that ignores SIGTERM; and one that goes on forking after the command ended, when no fork record is read.
  for (
    const child of [
      `(trap '' TERM; exec /bin/sleep ${marker} >/dev/null 2>&1) & wait`,
      `(trap '' TERM; while :; do /bin/sleep ${marker} >/dev/null 2>&1 & sleep 0.2; done) >/dev/null 2>&1 & wait`,
    ]
  ) {
    const { status } = await closeStdinOf(
      ["/bin/sh", "-c", child],
      (events) => events.some((e) => e.type === "exec" && String(e.filename).endsWith("/sleep")),
    );
    assert.equal(status.code, 128 + 15, new TextDecoder().decode(status.stderr));
    const sleeps = async () => (await processesMatching(marker)).filter((p) => /^\d+: \/bin\/sleep /.test(p));
    // SIGKILL was sent as captrace ended: give the kernel a moment to finish it.
    for (let i = 0; i < 20 && (await sleeps()).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await sleeps(), [], `none left: ${child}`);
  }
});

/** Waits until `file` is not empty: what the command writes once it got going; fails with `what` after 10 s. */
async function written(file: string, what: string): Promise<void> {
  for (let i = 0; (await Deno.readTextFile(file)) === ""; i++) {
    if (i === 200) throw new Error(`${what} within 10 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A control FIFO for --control, made in a directory of its own, held open for writing (never blocks) by the test. */
async function controlFifo(): Promise<{ path: string; writer: Deno.FsFile; remove: () => Promise<void> }> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/control`;
  const made = await new Deno.Command("mkfifo", { args: ["-m", "600", path] }).output();
  assert.equal(made.code, 0, "mkfifo");
  // Read and write: a FIFO's open for writing alone would wait for captrace to open it for reading.
  const writer = await Deno.open(path, { read: true, write: true });
  return { path, writer, remove: () => Deno.remove(dir, { recursive: true }) };
}

/**
 * captrace started with `--control` on a FIFO of controlFifo's and `--json -o` a file of its own, then `args`; stdin
 * as asked, stdout dropped, stderr piped.
 */
async function startControlled(
  args: string[],
  stdin: "null" | "piped" = "null",
): Promise<{ p: Deno.ChildProcess; control: Awaited<ReturnType<typeof controlFifo>>; out: string }> {
  const control = await controlFifo();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const p = new Deno.Command(Deno.execPath(), {
    args: [...CLI, "--control", control.path, "--json", "-o", out, ...args],
    stdin,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  return { p, control, out };
}

Deno.test("--control: the command reads captrace's stdin; closing the FIFO stops the command and the trace", async () => {
  await requireTracing();
  const got = await Deno.makeTempFile();
  const marker = "29.9795";
  const script = `read line; echo "got $line" > ${got}; exec /bin/sleep ${marker}`;
  const { p, control, out } = await startControlled(["--", "/bin/sh", "-c", script], "piped");
  await waitForReady(out);
  const w = p.stdin.getWriter();
  await w.write(new TextEncoder().encode("hello there\n"));
  await written(got, "the command did not read its line");
  assert.equal(await Deno.readTextFile(got), "got hello there\n", "the line typed reached the command");
  // The command's stdin staying open is no reason to stop: only the FIFO's end is.
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(await isRunning(p.pid), "captrace runs on while the FIFO is open");
  control.writer.close();
  const status = await p.output();
  assert.equal(status.code, 128 + 15, "sleep got SIGTERM");
  assert.match(
    new TextDecoder().decode(status.stderr),
    /^captrace: the control FIFO closed \(--control\): stopping the trace$/m,
  );
  assert.deepEqual(await processesMatching(marker), []);
  assert.equal(ndjson(await Deno.readTextFile(out)).at(-1)?.type, "summary");
  await w.close().catch(() => {});
  await Promise.all([control.remove(), Deno.remove(out), Deno.remove(got)]);
});

Deno.test("--control: Ctrl-C's byte is SIGINT to the command and its children; the trace follows it to its end", async () => {
  await requireTracing();
  const got = await Deno.makeTempFile();
  const marker = "27.1828";
  // The shell waits for its child, as a foreground program in a terminal: both get the SIGINT, as Ctrl-C gives it.
  const script = `trap 'echo "got INT" > ${got}; exit 7' INT; echo started > ${got}; /bin/sleep ${marker}; exit 3`;
  const { p, control, out } = await startControlled(["--", "/bin/sh", "-c", script]);
  await waitForReady(out);
  await written(got, "the command did not start");
  await control.writer.write(new Uint8Array([3]));
  const status = await p.output();
  assert.equal(status.code, 7, "the command's trap ran, and its status is captrace's");
  assert.equal(await Deno.readTextFile(got), "got INT\n");
  assert.match(
    new TextDecoder().decode(status.stderr),
    /^captrace: Ctrl-C \(--control\): SIGINT to the command and what it started \(again within 3 s to kill it, unless it catches SIGINT\)$/m,
  );
  assert.deepEqual(await processesMatching(marker), []);
  const events = ndjson(await Deno.readTextFile(out));
  assert.equal(events.at(-1)?.type, "summary");
  assert.ok(events.some((e) => e.type === "exit" && e.root === true && e.code === 7), "the command's exit is traced");
  control.writer.close();
  await Promise.all([control.remove(), Deno.remove(out), Deno.remove(got)]);
});

Deno.test("--control: a second Ctrl-C byte within 3 s kills a command that ignores SIGINT, as at a terminal", async () => {
  await requireTracing();
  const marker = "23.0258";
  const { p, control, out } = await startControlled(["--", "/bin/sh", "-c", `trap '' INT; sleep ${marker}`]);
  await waitForReady(out);
  // Its sleep runs, so the shell's trap has run: a Ctrl-C before it would end the shell.
  await waitForProcess(`sleep\0${marker}`, "the command's sleep did not start");
  await control.writer.write(new Uint8Array([3]));
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(await isRunning(p.pid), "one Ctrl-C, ignored, ends nothing");
  await control.writer.write(new Uint8Array([3]));
  const status = await p.output();
  assert.equal(status.code, 128 + 9, new TextDecoder().decode(status.stderr));
  assert.match(new TextDecoder().decode(status.stderr), /^captrace: Ctrl-C again \(--control\): killing the command$/m);
  assert.deepEqual(await processesMatching(marker), []);
  control.writer.close();
  await Promise.all([control.remove(), Deno.remove(out)]);
});

Deno.test("--control: a command that catches SIGINT gets each Ctrl-C byte, two in one read too; none kills it", async () => {
  await requireTracing();
  const bin = await fixture("count_sigint");
  const control = await controlFifo();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const said = await Deno.makeTempFile();
  const p = new Deno.Command("/bin/sh", {
    args: [
      "-c",
      'exec "$@" > "$0"',
      said,
      Deno.execPath(),
      ...CLI,
      "--control",
      control.path,
      "--json",
      "-o",
      out,
      "--",
      bin,
      "1500",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await written(said, "the command did not start");
  await control.writer.write(new Uint8Array([3, 3]));
  const status = await p.output();
  const stderr = new TextDecoder().decode(status.stderr);
  assert.equal(status.code, 0, stderr);
  // Each byte is a Ctrl-C of its own (two signals sent at once may reach the program as one: it counts 1 or 2).
  assert.equal(stderr.match(/^captrace: Ctrl-C \(--control\): SIGINT to the command/gm)?.length, 2, stderr);
  assert.doesNotMatch(stderr, /killing the command/);
  assert.match(await Deno.readTextFile(said), /^ready\nsigints [12]\n$/);
  control.writer.close();
  await Promise.all([control.remove(), Deno.remove(out), Deno.remove(said)]);
});

Deno.test("--control with --pid: Ctrl-C's byte ends the trace with its summary, as Ctrl-C does; the process runs on", async () => {
  await requireTracing();
  const target = new Deno.Command("/bin/sleep", { args: ["26.5358"], stdin: "null" }).spawn();
  const { p, control, out } = await startControlled(["-p", String(target.pid)]);
  await waitForReady(out);
  await control.writer.write(new Uint8Array([3]));
  const status = await p.output();
  assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
  assert.equal(ndjson(await Deno.readTextFile(out)).at(-1)?.type, "summary");
  assert.ok(await isRunning(target.pid), "the process traced is left running");
  target.kill("SIGKILL");
  await target.status;
  control.writer.close();
  await Promise.all([control.remove(), Deno.remove(out)]);
});

Deno.test("--control closed before the trace started: exit 1, said in the trace, nothing run", async () => {
  await requireTracing();
  const marker = "31.4162";
  const { p, control, out } = await startControlled(["--", "/bin/sleep", marker]);
  // Closed once captrace holds the FIFO open (else it would wait for a writer), before bpftrace could attach.
  const holds = async () => {
    for await (const fd of Deno.readDir(`/proc/${p.pid}/fd`)) {
      if (await Deno.readLink(`/proc/${p.pid}/fd/${fd.name}`).catch(() => "") === control.path) return true;
    }
    return false;
  };
  for (let i = 0; !(await holds()); i++) {
    if (i === 400) throw new Error("captrace did not open the control FIFO within 2 s");
    await new Promise((r) => setTimeout(r, 5));
  }
  control.writer.close();
  const status = await p.output();
  const stderr = new TextDecoder().decode(status.stderr);
  assert.equal(status.code, 1, stderr);
  const events = ndjson(await Deno.readTextFile(out));
  assert.deepEqual(events.map((e) => [e.type, e.exit_code]), [["error", 1]]);
  assert.match(events[0]!.message as string, /^The control FIFO closed before the trace started \(--control\)/);
  assert.doesNotMatch(stderr, /stopping the trace/);
  assert.deepEqual(await processesMatching(marker), [], "the command never ran");
  await Promise.all([control.remove(), Deno.remove(out)]);
});

Deno.test("--stop-with: the end of its process stops the command and the trace", async () => {
  await requireTracing();
  const editor = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" }).spawn();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const marker = "32.7183";
  const p = new Deno.Command(Deno.execPath(), {
    args: [...CLI, "--stop-with", String(editor.pid), "--json", "-o", out, "--", "/bin/sleep", marker],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await waitForReady(out);
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(await isRunning(p.pid), "captrace runs on while the process does");
  editor.kill("SIGKILL");
  await editor.status;
  const status = await p.output();
  assert.equal(status.code, 128 + 15, "sleep got SIGTERM");
  assert.match(
    new TextDecoder().decode(status.stderr),
    new RegExp(`^captrace: process ${editor.pid} ended \\(--stop-with\\): stopping the trace$`, "m"),
  );
  assert.deepEqual(await processesMatching(marker), []);
  assert.equal(ndjson(await Deno.readTextFile(out)).at(-1)?.type, "summary");
  await Deno.remove(out);
});

Deno.test("--stop-with: its process's end ends a wait for -o's reader or --control's writer, nothing run", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir();
  try {
    for (const [flag, what] of [["-o", "a reader of"], ["--control", "a writer of"]] as const) {
      const fifo = `${dir}/${flag.replace(/-/g, "")}`;
      assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0, "mkfifo");
      const editor = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" }).spawn();
      const marker = "33.1416";
      const p = new Deno.Command(Deno.execPath(), {
        args: [...CLI, "--stop-with", String(editor.pid), flag, fifo, "--", "/bin/sleep", marker],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
      // Nobody opens the FIFO: captrace waits, says so after a second, and waits on until the process ends.
      const [stderr, status] = await Promise.all([
        readWatching(p.stderr, `waiting for ${what}`, () => editor.kill("SIGKILL")),
        p.status,
        editor.status,
      ]);
      assert.equal(status.code, 1, stderr);
      assert.deepEqual(stderr.split("\n").slice(0, 2), [
        `captrace: waiting for ${what} '${fifo}'…`,
        `captrace: Process ${editor.pid} ended while captrace waited for ${what} '${fifo}' (--stop-with): nothing ` +
        "was traced",
      ]);
      assert.deepEqual(await processesMatching(marker), [], "the command never ran");
    }
    // One not running at all (ended and reaped): said as such, whatever captrace would have opened.
    const ended = new Deno.Command("/bin/true").spawn();
    await ended.status;
    const r = await runCli(["--stop-with", String(ended.pid), "-o", `${dir}/trace.txt`, "--", "/bin/true"]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr.split("\n")[0],
      `captrace: Process ${ended.pid} given to --stop-with is not running: nothing was traced`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("signals ignored when captrace started (nohup, a background job) stay ignored, by captrace and the command", async () => {
  await requireTracing();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const seen = await Deno.makeTempFile();
  const ignoring = [`trap '' INT HUP; exec "$@"`, "sh", Deno.execPath()];
  const script = `grep '^SigIgn:' /proc/self/status > ${seen}; sleep 1`;
  const p = new Deno.Command("/bin/sh", {
    args: ["-c", ...ignoring, ...CLI, "--json", "-o", out, "--", "/bin/sh", "-c", script],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  await waitForReady(out);
  await written(seen, "the command did not start");
  // The shell exec'd captrace: its pid is captrace's.
  Deno.kill(p.pid, "SIGINT");
  Deno.kill(p.pid, "SIGHUP");
  const status = await p.output();
  assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
  const mask = await Deno.readTextFile(seen);
  assert.deepEqual([1, 2, 15].map((sig) => ignores(mask, sig)), [true, true, false], mask);
  const events = ndjson(await Deno.readTextFile(out));
  assert.deepEqual(events.filter((e) => e.type === "exit" && e.root).map((e) => [e.code, e.signal]), [[0, null]]);
  assert.equal(events.at(-1)?.type, "summary");
  await Promise.all([Deno.remove(out), Deno.remove(seen)]);
  // Its banner does not say Ctrl-C ends it, but a signal that does.
  for (
    const [traps, end] of [
      ["INT HUP", "SIGTERM ends it."],
      ["INT TERM", "SIGHUP ends it."],
      ["INT TERM HUP QUIT", "so are SIGTERM, SIGHUP and SIGQUIT; only SIGKILL ends it (no summary)."],
    ]
  ) {
    const text = await new Deno.Command("/bin/sh", {
      args: ["-c", `trap '' ${traps}; exec "$@"`, "sh", Deno.execPath(), ...CLI, "-o", "/dev/null", "--", "/bin/true"],
      stdout: "null",
      stderr: "piped",
    }).output();
    const first = new TextDecoder().decode(text.stderr).split("\n").find((l) => l.startsWith("Tracing"));
    assert.equal(
      first,
      `Tracing capability checks (tracepoint)… SIGINT is ignored, as it was when captrace started: ${end}`,
    );
  }
});

Deno.test("a second SIGTERM kills the command's whole tree, not only its root, followed or not", async () => {
  await requireTracing();
  // The shell and its sleep (which inherits the ignored SIGTERM) outlast the first signal. Without --follow no fork
  // record names the sleep, as none is read yet for a child forked just before the signal: it is found below its
  // stopped parent.
  const marker = "31.0002";
  const sleeps = async () => (await processesMatching(marker)).filter((p) => /^\d+: \/bin\/sleep /.test(p));
  for (const mode of [[], ["--no-follow"]]) {
    const out = await Deno.makeTempFile({ suffix: ".ndjson" });
    const script = `trap '' TERM; /bin/sleep ${marker}; echo done`;
    const p = new Deno.Command(Deno.execPath(), {
      args: [...CLI, ...mode, "--json", "-o", out, "--", "/bin/sh", "-c", script],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      await waitForReady(out);
      for (let i = 0; (await sleeps()).length === 0; i++) {
        if (i === 200) throw new Error("sleep did not start within 10 s");
        await new Promise((r) => setTimeout(r, 50));
      }
      p.kill("SIGTERM");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await sleeps()).length, 1, "the first SIGTERM went to the shell, which ignores it");
      p.kill("SIGTERM");
      assert.equal((await p.status).code, 128 + 9);
      assert.deepEqual(await sleeps(), [], `sleep was killed too ${mode.join(" ")}`);
    } finally {
      for (const s of await processesMatching(marker)) Deno.kill(Number(s.split(":")[0]), "SIGKILL");
      await Deno.remove(out);
    }
  }
});

Deno.test("the trace and the command's own output on one stderr pipe do not tear each other's lines", async () => {
  await requireTracing();
  const bin = await fixture("interleave");
  const n = 100_000;
  const r = await runCli(["-u", "nobody", "--", bin, String(n)]);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const lines = r.stderr.split("\n");
  const checks = lines.filter((l) => l.includes("cap_setgid"));
  const own = lines.filter((l) => l.includes("PROGRAM-LINE"));
  const torn = [...checks, ...own].filter((l) =>
    !/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d interleave +\d+ opt=4 "cap_setgid" -> -1 \(operation not permitted\) syscall=setgroups$/
      .test(l) && !/^PROGRAM-LINE-\d+-x{58}$/.test(l)
  );
  assert.deepEqual(torn.slice(0, 5), [], `${torn.length} torn lines`);
  assert.equal(own.length, n);
  // Every check shown arrived whole; under load the tracer may lose some, which the counts line says.
  const counts = /^captrace: \d+ checks seen, (\d+) shown, \d+ hidden .*, (\d+) lost[,;]/m.exec(r.stderr);
  assert.ok(counts, r.stderr.slice(-1000));
  assert.equal(checks.length, Number(counts[1]));
  assert.ok(checks.length <= n && checks.length + Number(counts[2]) >= n, counts[0]);
});

Deno.test("a captrace killed with SIGKILL takes its bpftrace with it, --pid and system-wide", async () => {
  await requireTracing();
  const idle = new Deno.Command("sleep", { args: ["31.4159"] }).spawn();
  // A captrace killed with SIGKILL cannot remove its files: they go to a directory of the test's.
  const tmp = await Deno.makeTempDir({ prefix: "captrace-test-tmp-" });
  try {
    for (const mode of [["-p", String(idle.pid)], []]) {
      const out = await Deno.makeTempFile({ suffix: ".ndjson" });
      const p = new Deno.Command(Deno.execPath(), {
        args: [...CLI, "--json", "-o", out, ...mode],
        env: { TMPDIR: tmp },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitForReady(out);
      const tracer = await tracerOf(p.pid);
      assert.ok(tracer !== null, "bpftrace is running");
      p.kill("SIGKILL");
      await p.status;
      assert.ok(await endsSoon(tracer), `bpftrace outlived captrace (${mode.join(" ") || "system-wide"})`);
      await Deno.remove(out);
    }
  } finally {
    idle.kill("SIGKILL");
    await idle.status;
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("system-wide mode leaves out its own bpftrace's checks, with --summary-only too", async () => {
  await requireTracing();
  for (const extra of [[], ["--summary-only"]]) {
    const out = await Deno.makeTempFile({ suffix: ".ndjson" });
    try {
      const p = new Deno.Command(Deno.execPath(), {
        stdin: "null",
        args: [...CLI, "--json", ...extra, "-o", out],
        stdout: "null",
        stderr: "piped",
      }).spawn();
      await waitForReady(out);
      // bpftrace is captrace's child; right after READY it reads /proc/kallsyms (a CAP_SYSLOG check of its own).
      const tracer = await tracerOf(p.pid);
      assert.ok(tracer !== null, "bpftrace runs as captrace's child");
      await new Promise((r) => setTimeout(r, 500));
      p.kill("SIGINT");
      const status = await p.output();
      assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
      const events = ndjson(await Deno.readTextFile(out));
      assert.deepEqual(events.filter((e) => e.type === "check" && e.pid === tracer), [], extra.join(" "));
      const summary = events.find((e) => e.type === "summary") as {
        capabilities: { cap_name: string; pids: number[] }[];
      };
      const own = summary.capabilities.filter((c) => c.pids.includes(tracer)).map((c) => c.cap_name);
      assert.deepEqual(own, [], `bpftrace's own checks in the summary (${extra.join(" ") || "default"})`);
    } finally {
      await Deno.remove(out);
    }
  }
});

Deno.test("system-wide mode sees any process until Ctrl-C, then exits 0 with a summary", async () => {
  await requireTracing();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const p = new Deno.Command(Deno.execPath(), {
    stdin: "null",
    args: [...CLI, "--json", "-c", "-o", out],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const ready = await waitForReady(out);
  assert.equal(ready.mode, "system");
  const file = await rootOwnedFile();
  const chown = await new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "/usr/bin/chown", "65534", file],
    stderr: "null",
  }).spawn();
  const chownPid = chown.pid;
  await chown.status;
  // The event may still be in flight: wait until it is in the file before stopping.
  for (let i = 0; i < 100; i++) {
    if (ndjson(await Deno.readTextFile(out)).some((e) => e.pid === chownPid && e.cap_name === "cap_chown")) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  p.kill("SIGINT");
  const status = await p.output();
  assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
  const events = ndjson(await Deno.readTextFile(out));
  const check = events.find((e) => e.type === "check" && e.pid === chownPid && e.cap_name === "cap_chown");
  assert.equal(check?.verdict, "denied");
  assert.equal(events.at(-1)?.type, "summary");
  await Deno.remove(out);
});

Deno.test("a trace that fails to start says why in its -o FILE too, text or --json", async () => {
  await requireTracing();
  const out = await Deno.makeTempFile();
  for (const json of [[], ["--json"]]) {
    await Deno.writeTextFile(out, "an earlier trace\n");
    const r = await runCli([...json, "-o", out, "-p", "999999"]);
    assert.equal(r.code, 4, r.stderr);
    const text = await Deno.readTextFile(out);
    if (json.length) assert.deepEqual(ndjson(text).map((e) => [e.type, e.exit_code]), [["error", 4]]);
    else assert.equal(text, "captrace: No process with pid 999999\nCheck the pid with 'ps -p PID'\n");
  }
  await Deno.remove(out);
  // Onto stderr itself, said once.
  const err = await runCli(["-o", "/dev/stderr", "-p", "999999"]);
  assert.equal(err.stderr, "captrace: No process with pid 999999\nCheck the pid with 'ps -p PID'\n");
});

Deno.test("-o FILE takes the text trace, leaving stderr to the program; both end with the completeness line", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const out = await Deno.makeTempFile();
  const r = await runCli(["-o", out, "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  assert.equal(r.code, 1);
  const trace = await Deno.readTextFile(out);
  assert.match(trace, CHOWN_DENIED);
  assert.doesNotMatch(r.stderr, /cap_chown/);
  assert.match(r.stderr, /Operation not permitted/);
  const complete = /^captrace: \d+ checks seen, 1 shown, \d+ hidden \([^)]*\), 0 lost[^\n]*\n$/m;
  assert.match(r.stderr.split(/(?<=\n)/).at(-1)!, complete);
  assert.equal(trace.split(/(?<=\n)/).at(-1), r.stderr.split(/(?<=\n)/).at(-1), "the same line ends the file");
  await Deno.remove(out);
  // So does a FIFO's reader, who may read nothing else: it learns the trace is whole, or what it lacks.
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  const fifo = `${dir}/trace`;
  assert.equal((await new Deno.Command("mkfifo", { args: [fifo] }).output()).code, 0);
  const reader = new Deno.Command("cat", { args: [fifo], stdout: "piped" }).output();
  const viaFifo = await runCli(["-o", fifo, "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  const read = new TextDecoder().decode((await reader).stdout);
  assert.equal(viaFifo.code, 1);
  assert.match(read, CHOWN_DENIED);
  assert.match(read.split(/(?<=\n)/).at(-1)!, complete);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("--pid on a process of 5,000 threads traces them all, the program passed to bpftrace in a file", async () => {
  await requireTracing();
  const bin = await fixture("many_threads");
  const file = await rootOwnedFile();
  const n = 5000;
  const target = new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", bin, file, String(n)],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const lines = target.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    assert.equal((await lines.read()).value, "ready\n", `${n} threads started (if not, many_threads said why above)`);
    const t = await traceInBackground(["-c", "-p", String(target.pid)]);
    // bpftrace got a file, not a program as long as the threads: one argument holds 128 KiB at most.
    const tracer = await tracerOf(t.pid);
    assert.ok(tracer !== null, "bpftrace is running");
    const cmdline = (await Deno.readTextFile(`/proc/${tracer}/cmdline`)).replaceAll("\0", " ");
    assert.match(cmdline, /bpftrace -B line \S+\/program\.bt\s*$/, cmdline);
    const stdin = target.stdin.getWriter();
    await stdin.write(new TextEncoder().encode("go\n"));
    await stdin.close();
    assert.equal((await target.status).code, 0);
    const events = await t.end();
    const chowns = events.filter((e) => e.type === "check" && e.cap_name === "cap_chown");
    assert.equal(new Set(chowns.map((e) => e.tid)).size, n, "every thread's check, each from its own thread");
    assert.ok(chowns.every((e) => e.pid === target.pid && e.verdict === "denied"));
    const summary = events.at(-1) as { capabilities: { cap_name: string; denied: number }[] };
    assert.equal(summary.capabilities.find((c) => c.cap_name === "cap_chown")?.denied, n);
  } finally {
    lines.releaseLock();
    try {
      target.kill("SIGKILL");
    } catch {
      // ended
    }
    await target.status;
  }
});

Deno.test("Ctrl-C on --pid of an idle process ends the trace (repeated if bpftrace missed it) and leaves the process", async () => {
  await requireTracing();
  const target = new Deno.Command("/bin/sleep", { args: ["37.77"] }).spawn();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  const p = new Deno.Command(Deno.execPath(), {
    stdin: "null",
    args: [...CLI, "--json", "-o", out, "-p", String(target.pid)],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    const ready = await waitForReady(out);
    // What the process did before is not seen; it holds what this test holds (root: every capability).
    const all = effectiveCaps(await Deno.readTextFile("/proc/self/status"))!.length;
    assert.deepEqual((ready.limits as string[]).slice(1), [
      `checks process ${target.pid} made before the attach are not seen; it holds ${all} capabilities`,
    ]);
    const tracer = await tracerOf(p.pid);
    assert.ok(tracer !== null, "bpftrace is running");
    p.kill("SIGINT");
    // A hang guard, not a speed target: bpftrace must stop even though no event follows the signal.
    const guard = setTimeout(() => p.kill("SIGKILL"), 20_000);
    const status = await p.output();
    clearTimeout(guard);
    assert.equal(status.code, 0, new TextDecoder().decode(status.stderr));
    assert.equal(ndjson(await Deno.readTextFile(out)).at(-1)?.type, "summary");
    assert.ok(await endsSoon(tracer), "its bpftrace is gone");
    assert.equal((await processesMatching("37.77")).length, 1, "the traced process itself is left running");
  } finally {
    target.kill("SIGKILL");
    await target.status;
    await Deno.remove(out);
  }
});

Deno.test("fields read at BTF offsets match the fields bpftrace resolves by struct name", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const pick = (events: Record<string, unknown>[]) =>
    events.filter((e) => e.type === "check" && e.cap_name === "cap_chown").map((e) => [
      e.comm,
      e.ret,
      e.uid,
      e.euid,
      e.syscall_name,
      e.userns,
      e.target_userns,
      e.ppid === (events.find((x) => x.type === "ready")!.pid as number) ? "child of root" : e.ppid,
    ]);
  const args = ["-u", "nobody", "--", "/bin/sh", "-c", `/usr/bin/chown nobody ${file}`];
  const raw = await runJson(args);
  const out = await Deno.makeTempFile();
  const typed = await new Deno.Command(Deno.execPath(), {
    stdin: "null",
    args: [...CLI, "--json", "-o", out, ...args],
    env: { CAPTRACE_BTF_OFFSETS: "0" },
    stderr: "null",
  }).output();
  assert.equal(typed.code, 1);
  const typedEvents = ndjson(await Deno.readTextFile(out));
  await Deno.remove(out);
  assert.deepEqual(pick(raw.events), [[
    "chown",
    -1,
    65534,
    65534,
    "fchownat",
    4026531837,
    4026531837,
    "child of root",
  ]]);
  assert.deepEqual(pick(typedEvents), pick(raw.events));
});

Deno.test("at the end bpftrace answers the summary request itself: no SIGINT, no detach wait, no file left", async () => {
  await requireTracing();
  const controls = async () => {
    const names: string[] = [];
    const tmp = Deno.env.get("TMPDIR") || "/tmp";
    for await (const e of Deno.readDir(tmp)) if (e.name.startsWith("captrace-control-")) names.push(e.name);
    return names.sort();
  };
  const before = await controls();
  const file = await rootOwnedFile();
  const r = await runCli(["--debug", "-c", "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, CHOWN_DENIED);
  assert.match(r.stderr, /^cap_chown +1 +0 +1 +1 +0 +1 fchownat$/m);
  assert.doesNotMatch(r.stderr, /no summary \d+ ms after asking/);
  // Every line of the real program's output is read, the stack printed after READY included.
  assert.doesNotMatch(r.stderr, /unreadable tracer line/);
  // None of its own left (a stale one of a killed run may have been removed).
  assert.deepEqual((await controls()).filter((n) => !before.includes(n)), []);
});

Deno.test("a trace read slowly through a FIFO gets its summary by asking: time blocked writing is not bpftrace's", async () => {
  await requireTracing();
  const loop = await fixture("caps_loop");
  const dir = await Deno.makeTempDir({ prefix: "captrace-slow-" });
  try {
    const fifo = `${dir}/trace`;
    assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
    // 4 KiB every 100 ms: captrace's writes wait for the reader most of the time, and it reads the root's exit with
    // lines still to write; those written after it asks for the summary can take longer than the 500 ms it gives
    // bpftrace to answer, while the answer waits in bpftrace's pipe.
    const reader = (async () => {
      using f = await Deno.open(fifo, { read: true });
      const buf = new Uint8Array(4096);
      const dec = new TextDecoder();
      let text = "";
      for (let r; (r = await f.read(buf)) !== null;) {
        text += dec.decode(buf.subarray(0, r), { stream: true });
        await new Promise((ok) => setTimeout(ok, 100));
      }
      return text;
    })();
    const r = await runCli(["--debug", "-c", "-u", "nobody", "-o", fifo, "--", loop, "2000"]);
    const trace = await reader;
    assert.ok(trace.length > 150_000, "the trace went through the FIFO");
    assert.equal(r.code, 0, r.stderr.slice(-2000));
    assert.doesNotMatch(r.stderr, /no summary \d+ ms after asking/);
    assert.match(trace, /^cap_setgid +2000 +0 +2000 +2000 +0 +1 setgroups$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Ctrl-C while checks keep coming: the summary counts exactly the checks the stream shows", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  // Events the tracer lost make the stream and the summary differ by design (the summary reports them): a busy
  // machine can starve bpftrace's reads as the loop outruns it. Such a run proves nothing and is made again.
  let run = await _ctrlCUnderLoad(file);
  for (let again = 0; again < 2 && run.totals.lost > 0; again++) run = await _ctrlCUnderLoad(file);
  const { events, totals, stderr } = run;
  assert.equal(totals.lost, 0, `events lost in three runs, so the stream cannot match the summary: ${stderr}`);
  const shown = events.filter((e) => e.type === "check" && e.cap_name === "cap_chown").length;
  const row = (events.at(-1)!.capabilities as Record<string, unknown>[]).find((c) => c.cap_name === "cap_chown");
  assert.ok(shown > 100, `the loop ran: ${shown} checks shown`);
  assert.equal(row?.checks, shown, "no check counted that the stream lacks, or shown that the summary lacks");
  assert.equal(totals.seen, totals.shown + totals.hidden + totals.lost);
});

/** A whole-system `--json -c` trace stopped by SIGINT while denied chowns of `file`, as nobody, come without pause. */
async function _ctrlCUnderLoad(file: string): Promise<{
  events: Record<string, unknown>[];
  totals: { seen: number; shown: number; hidden: number; lost: number };
  stderr: string;
}> {
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  // From before the stop until after it.
  const loop = new Deno.Command("setpriv", {
    args: [
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      "/bin/sh",
      "-c",
      `while :; do chown 65534 ${file}; done`,
    ],
    stderr: "null",
  }).spawn();
  const p = new Deno.Command(Deno.execPath(), {
    stdin: "null",
    args: [...CLI, "--json", "-c", "-o", out],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  try {
    await waitForReady(out);
    await new Promise((r) => setTimeout(r, 1500));
    p.kill("SIGINT");
    const status = await p.output();
    stderr = new TextDecoder().decode(status.stderr);
    assert.equal(status.code, 0, stderr);
  } finally {
    loop.kill("SIGKILL");
    await loop.status;
  }
  const events = ndjson(await Deno.readTextFile(out));
  await Deno.remove(out);
  const summary = events.at(-1)!;
  assert.equal(summary.type, "summary");
  return { events, totals: summary.totals as { seen: number; shown: number; hidden: number; lost: number }, stderr };
}

Deno.test("a terminal's Ctrl-C reaches captrace alone: bpftrace runs in a session of its own", async () => {
  await requireTracing();
  const target = new Deno.Command("/bin/sleep", { args: ["41.41"] }).spawn();
  const out = await Deno.makeTempFile({ suffix: ".ndjson" });
  // captrace leads a session of its own here, so that signalling its process group stands in for a terminal's.
  const p = new Deno.Command("setsid", {
    args: [Deno.execPath(), ...CLI, "--debug", "--json", "-o", out, "-p", String(target.pid)],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  try {
    await waitForReady(out);
    const sid = async (pid: number | string) =>
      (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1]!.split(" ")[3];
    // setsid runs captrace in its place.
    const tracer = await tracerOf(p.pid);
    assert.ok(tracer !== null, "bpftrace is running");
    assert.notEqual(await sid(tracer), await sid(p.pid));
    Deno.kill(-p.pid, "SIGINT");
    const status = await p.output();
    const stderr = new TextDecoder().decode(status.stderr);
    assert.equal(status.code, 0, stderr);
    assert.doesNotMatch(stderr, /sending SIGINT/);
    assert.equal(ndjson(await Deno.readTextFile(out)).at(-1)?.type, "summary");
  } finally {
    target.kill("SIGKILL");
    await target.status;
    await Deno.remove(out);
  }
});

/**
 * Runs captrace on count_sigint (going on `ms` after its first SIGINT) in a terminal of its own (script(1) makes one;
 * captrace leads its foreground process group, as when typed at a shell), its streams redirected as `redirect` says,
 * and gives `act` captrace's pid once the command is ready. Returns the terminal's output, captrace's exit code and
 * how long the command took from `act` to its end.
 */
async function inTerminal(
  act: (captrace: number, type: (bytes: number[]) => Promise<void>) => Promise<void>,
  options: {
    ms?: number;
    redirect?: string;
    ignore?: boolean;
    keepDefault?: boolean;
    bash?: boolean;
    /** bash's command line around the command (`CMD` in it stands for it), in place of `CMD; echo after`. */
    around?: string;
  } = {},
) {
  await requireTracing();
  const bin = await fixture("count_sigint");
  // exec: a shell left waiting in between would take the Ctrl-C too, and die of it (dash does not exec by itself).
  // env resets the signals to their defaults: a suite run as a background job has SIGINT and SIGQUIT ignored, which
  // captrace and the command would keep ignoring, as a terminal's job started so would.
  const command = [
    bin,
    String(options.ms ?? 500),
    ...(options.ignore ? ["ignore"] : options.keepDefault ? ["default"] : []),
  ];
  const argv = [
    ...["env", "--default-signal", Deno.execPath(), ...CLI, "--"],
    // bash waits for it, catching SIGINT meanwhile (as shells do), and echoes nothing if killed.
    ...(options.bash || options.around
      ? ["/bin/bash", "-c", (options.around ?? "CMD; echo after").replace("CMD", command.join(" "))]
      : command),
  ];
  const cmd = "exec " + argv.map((a) => `'${a}'`).join(" ") + (options.redirect ?? "");
  const p = new Deno.Command("script", {
    args: ["-qefc", cmd, "/dev/null"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    // script(1) runs $SHELL: the same shell wherever the suite runs.
    env: { TZ: "UTC", SHELL: "/bin/sh" },
  }).spawn();
  const killer = setTimeout(() => p.kill("SIGKILL"), 30_000);
  const writer = p.stdin.getWriter();
  let out = "";
  const dec = new TextDecoder();
  const reading = (async () => {
    for await (const c of p.stdout) out += dec.decode(c, { stream: true });
  })();
  try {
    for (let i = 0; !out.includes("ready"); i++) {
      if (i === 300) throw new Error(`the command never became ready: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    let captrace: number | undefined;
    for (const pid of (await processesMatching(bin)).map((l) => parseInt(l))) {
      // Not script(1) or a shell, whose command lines name the same files.
      if ((await Deno.readTextFile(`/proc/${pid}/comm`).catch(() => "")) === "deno\n") captrace = pid;
    }
    assert.ok(captrace, "captrace is running");
    const t0 = performance.now();
    await act(captrace, (bytes) => writer.write(new Uint8Array(bytes)));
    await reading;
    const ms = performance.now() - t0;
    return { out, code: (await p.status).code, ms };
  } finally {
    clearTimeout(killer);
    await writer.close().catch(() => {});
  }
}

Deno.test("a Ctrl-C typed at the terminal reaches the command once: the terminal's, not also a forwarded one", async () => {
  const { out, code } = await inTerminal((_, type) => type([3]));
  assert.match(out, /^(?:\^C)?sigints 1\r$/m, out);
  // The command catches it: its own business, as untraced, and no stop of the trace.
  assert.doesNotMatch(out, /captrace: Ctrl-C/, out);
  assert.equal(code, 0, out);
  assert.match(out, /\+\+\+ \d+ exited with 0 \+\+\+/, "the trace followed the command to its end");
  assert.match(out, /^captrace: \d+ checks seen/m);
});

Deno.test("a Ctrl-\\ typed at the terminal ends the command as it would untraced, and the trace with its summary", async () => {
  const { out, code } = await inTerminal((_, type) => type([0x1c]));
  // (Its notice, "Ctrl-\\: tracing the command until it exits", comes unless the command's exit is read first.)
  assert.match(out, /\+\+\+ \d+ killed by SIGQUIT/, out);
  assert.match(out, /^captrace: \d+ checks seen/m, "the trace ended with its summary line");
  assert.equal(code, 128 + 3, out);
});

Deno.test("a typed Ctrl-C reaches the command once also when captrace's stdin is not the terminal", async () => {
  const { out, code } = await inTerminal((_, type) => type([3]), { redirect: " < /dev/null" });
  assert.match(out, /^(?:\^C)?sigints 1\r$/m, out);
  assert.equal(code, 0, out);
});

Deno.test("a typed Ctrl-C long after the first is a first one again: a command that ignores it goes on", async () => {
  const { out, code } = await inTerminal(async (_, type) => {
    await type([3]);
    // Well past the 3 s that make a second Ctrl-C a kill, however late captrace took the first one.
    await new Promise((r) => setTimeout(r, 4_000));
    await type([3]);
  }, { ms: 6_000, ignore: true });
  assert.match(out, /^slept\r$/m, out);
  assert.equal(code, 0, out);
  assert.equal(out.match(/captrace: Ctrl-C: tracing the command/g)?.length, 2, out);
});

Deno.test("in a terminal, a command that catches Ctrl-C gets each one typed, as untraced: a second one kills nothing", async () => {
  // A REPL, a pager, a server's own "twice to force quit": the program decides.
  const { out, code } = await inTerminal(async (_, type) => {
    await type([3]);
    await new Promise((r) => setTimeout(r, 200));
    await type([3]);
  }, { ms: 2_000 });
  // (The terminal's echo of ^C may come first.)
  assert.match(out, /^(?:\^C)*sigints 2\r$/m, out);
  assert.equal(code, 0, out);
  assert.doesNotMatch(out, /captrace: Ctrl-C|killed by/, out);
  assert.match(out, /\+\+\+ \d+ exited with 0 \+\+\+/, "the trace followed the command to its end");
});

Deno.test("in a terminal, a shell waiting for a program that ignores Ctrl-C does not count as catching it", async () => {
  const { out, code } = await inTerminal(async (_, type) => {
    await type([3]);
    await new Promise((r) => setTimeout(r, 200));
    await type([3]);
  }, { ms: 3_000, ignore: true, bash: true });
  assert.match(out, /captrace: Ctrl-C: tracing the command until it exits \(again within 3 s to kill it\)\r$/m, out);
  assert.doesNotMatch(out, /^slept|^after/m, out);
  assert.equal(code, 137, out);
});

Deno.test("in a terminal, a kill -INT of captrace alone reaches a command that does not catch SIGINT", async () => {
  // Not typed (the terminal sent the command nothing): `timeout --foreground -s INT`, a kill from another terminal.
  const { out, code } = await inTerminal((captrace) => {
    Deno.kill(captrace, "SIGINT");
    return Promise.resolve();
  }, { ms: 20_000, keepDefault: true });
  assert.doesNotMatch(out, /^slept/m, out);
  assert.match(out, /\+\+\+ \d+ killed by SIGINT \+\+\+\r$/m, out);
  assert.equal(code, 130, out);
});

Deno.test("in a terminal, a typed Ctrl-C reaches a shell whose trap catches it once, its child dying of it", async () => {
  // The shell (the command) catches SIGINT, its child does not: the terminal's one is all either gets.
  const { out, code } = await inTerminal((_, type) => type([3]), {
    ms: 20_000,
    keepDefault: true,
    around: 'trap "echo trap-ran" INT; CMD; echo after; sleep 0.5; echo end',
  });
  assert.equal(out.match(/^(?:\^C)?trap-ran\r$/gm)?.length, 1, out);
  assert.match(out, /^end\r$/m, out);
  assert.equal(code, 0, out);
});

Deno.test("in a terminal, a second Ctrl-C kills a command that ignores it and goes on", async () => {
  const { out, code } = await inTerminal(async (captrace, type) => {
    await type([3]);
    // The command ignores SIGINT and goes on for 3 s: the trace goes on with it.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(Deno.readTextFileSync(`/proc/${captrace}/stat`), "captrace still runs");
    await type([3]);
  }, { ms: 3_000, ignore: true });
  assert.match(out, /captrace: Ctrl-C: tracing the command until it exits \(again within 3 s to kill it\)\r$/m, out);
  assert.doesNotMatch(out, /slept/, "killed before it could print");
  assert.equal(code, 137, out);
  assert.match(out, /^captrace: \d+ checks seen/m, "the trace ended with its summary line");
  // The command's exit record is read before bpftrace stops: nothing is lost.
  assert.match(out, /\+\+\+ \d+ killed by SIGKILL \+\+\+\r$/m, out);
  assert.doesNotMatch(out, /lost by the tracer|tracer lost/, out);
  assert.match(out, /, 0 lost[,;]/, out);
});
