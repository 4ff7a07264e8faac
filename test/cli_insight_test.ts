/** Real-kernel tests of the insight features: NDJSON schema, summary, recommendation, baseline, -u, --unique. */

import assert from "node:assert/strict";
import { validateEvent } from "../shared/validate_event.ts";
import {
  CLI,
  copyProgram,
  fixture,
  inTempDir,
  requireTracing,
  rootOwnedFile,
  runCli,
  runJson,
  traceInBackground,
} from "./helpers.ts";

/** The shell `/bin/sh` is, as setcap lines name it (the file, not the link). */
const SH = Deno.realPathSync("/bin/sh");

type Obj = Record<string, unknown>;

interface Totals {
  seen: number;
  shown: number;
  hidden: number;
  lost: number;
  unsummarized: number;
}

function summaryOf(events: Obj[]): { caps: Obj[]; rec: Obj; totals: Totals } {
  const s = events.at(-1)!;
  assert.equal(s.type, "summary", "the summary comes last");
  return { caps: s.capabilities as Obj[], rec: s.recommendation as Obj, totals: s.totals as Totals };
}

function assertChownEverywhere(rec: Obj): void {
  assert.deepEqual(rec.capabilities, ["CAP_CHOWN"]);
  assert.equal(rec.setcap, "setcap cap_chown+ep /usr/bin/chown");
  assert.equal(rec.systemd, "CapabilityBoundingSet=CAP_CHOWN\nAmbientCapabilities=CAP_CHOWN");
  assert.equal(rec.docker, "docker run --cap-drop=ALL --cap-add=CHOWN IMAGE");
  assert.equal(rec.compose, "cap_drop:\n  - ALL\ncap_add:\n  - CHOWN");
  assert.match(rec.kubernetes as string, /drop: \["ALL"\]\n {4}add: \["CHOWN"\]$/);
}

/** `argv` traced as nobody with `mode` and -c: its exit status must be `code` (`what`); returns the recommendation. */
async function _recommendedAsNobody(mode: string[], argv: string[], code: number, what: string): Promise<unknown> {
  const r = await runJson([...mode, "-c", "-u", "nobody", "--", ...argv]);
  assert.equal(r.code, code, `${what} (${mode.join(" ")}): ${r.stderr}`);
  return summaryOf(r.events).rec.capabilities;
}

Deno.test("every --json line of a real trace validates against the v1 schema", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const { events } = await runJson([
    "-v",
    "-c",
    "-u",
    "nobody",
    "--",
    "/bin/sh",
    "-c",
    `/usr/bin/chown nobody ${file}`,
  ]);
  assert.ok(events.length > 10);
  for (const e of events) assert.deepEqual(validateEvent(e), [], JSON.stringify(e));
  const types = new Set(events.map((e) => e.type));
  for (const t of ["ready", "check", "exec", "exit", "summary"]) assert.ok(types.has(t), `has a ${t} event`);
});

Deno.test("chown as nobody: summary has cap_chown denied and it is recommended in every format", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const { events, code } = await runJson(["-c", "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  assert.equal(code, 1);
  const { caps, rec, totals } = summaryOf(events);
  const chown = caps.find((c) => c.cap_name === "cap_chown");
  assert.deepEqual([chown?.checks, chown?.allowed, chown?.denied, chown?.audited], [1, 0, 1, 1]);
  assert.deepEqual(chown?.syscalls, ["fchownat"]);
  assertChownEverywhere(rec);
  assert.ok(totals.hidden > 0, "no-audit memory checks were hidden");
  assert.equal(totals.seen, totals.shown + totals.hidden + totals.lost);
});

Deno.test("a command launched through a symbolic link runs as named, and setcap names the file itself", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const link = `${file.slice(0, file.lastIndexOf("/"))}/my-chown`;
  await Deno.symlink("/usr/bin/chown", link);
  const { events, code } = await runJson(["-c", "-u", "nobody", "--", link, "nobody", file]);
  assert.equal(code, 1);
  const exec = events.find((e) => e.type === "exec");
  assert.equal(exec?.filename, link, "the link is what runs (a multi-call binary goes by its name)");
  // setcap refuses a symbolic link: the line must name what it points to.
  assertChownEverywhere(summaryOf(events).rec);
});

Deno.test("a script's checks and its programs' get one setcap line each, the script's commented out", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const dir = file.slice(0, file.lastIndexOf("/"));
  await Deno.symlink("/usr/bin/chown", `${dir}/my-chown`);
  // The shell itself raises a limit it lowered (CAP_SYS_RESOURCE, refused to nobody); chown, run through a link,
  // asks for CAP_CHOWN. (A relative path would race the process's exit: its working directory places it.)
  await Deno.writeTextFile(
    `${dir}/run.sh`,
    `#!/bin/sh\n${dir}/my-chown nobody ${file}\nulimit -n 100\nulimit -n 101\nexit 0\n`,
  );
  await Deno.chmod(`${dir}/run.sh`, 0o755);
  const { events, code } = await runJson(["-u", "nobody", "--", `${dir}/run.sh`]);
  assert.equal(code, 0);
  const rec = summaryOf(events).rec;
  assert.deepEqual(rec.capabilities, ["CAP_CHOWN", "CAP_SYS_RESOURCE"], JSON.stringify(rec));
  assert.deepEqual(rec.programs, [
    {
      path: `${dir}/run.sh`,
      placed: true,
      mount_ns: null,
      script: true,
      interpreter: false,
      capabilities: ["CAP_SYS_RESOURCE"],
    },
    {
      path: "/usr/bin/chown",
      placed: true,
      mount_ns: null,
      script: false,
      interpreter: false,
      capabilities: ["CAP_CHOWN"],
    },
  ]);
  assert.equal(
    rec.setcap,
    `# ${dir}/run.sh is a script: the kernel ignores file capabilities on scripts; grant cap_sys_resource to its ` +
      "service or container instead (below)\nsetcap cap_chown+ep /usr/bin/chown",
  );
});

Deno.test("a #!/usr/bin/env script's checks are the script's, not its interpreter's, in every mode", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const dir = file.slice(0, file.lastIndexOf("/"));
  // The kernel runs env on the script, and env the shell: the shell's limit raised is the script's doing.
  await Deno.writeTextFile(`${dir}/env.sh`, `#!/usr/bin/env sh\nulimit -n 100\nulimit -n 101\nexit 0\n`);
  await Deno.chmod(`${dir}/env.sh`, 0o755);
  for (const mode of [[], ["--summary-only"], ["--unique"]]) {
    const { events, code } = await runJson(["-c", ...mode, "-u", "nobody", "--", `${dir}/env.sh`]);
    assert.equal(code, 0);
    const rec = summaryOf(events).rec;
    assert.deepEqual(
      (rec.programs as Record<string, unknown>[]).map((p) => [p.path, p.script, p.interpreter, p.capabilities]),
      [[`${dir}/env.sh`, true, false, ["CAP_SYS_RESOURCE"]]],
      `${mode.join(" ")}: ${JSON.stringify(rec.programs)}`,
    );
  }
});

Deno.test("checks a wrapper script makes before it execs its program are the script's, in every mode", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const dir = file.slice(0, file.lastIndexOf("/"));
  await Deno.writeTextFile(
    `${dir}/wrap.sh`,
    `#!/bin/sh\nulimit -n 100\nulimit -n 101\nexec /usr/bin/chown nobody ${file}\n`,
  );
  await Deno.chmod(`${dir}/wrap.sh`, 0o755);
  // One process throughout: the stream tells the two programs apart, and so do the kernel's counts, which it marks
  // with the program (--summary-only has nothing else).
  for (const mode of [[], ["--summary-only"], ["--unique"], ["--no-follow", "--summary-only"]]) {
    const { events, code } = await runJson([...mode, "-u", "nobody", "--", `${dir}/wrap.sh`]);
    assert.equal(code, 1, "chown's own status");
    const programs = summaryOf(events).rec.programs as { path: string; capabilities: string[] }[];
    assert.deepEqual(programs.map((p) => [p.path, p.capabilities]), [
      [`${dir}/wrap.sh`, ["CAP_SYS_RESOURCE"]],
      ["/usr/bin/chown", ["CAP_CHOWN"]],
    ], mode.join(" "));
  }
});

Deno.test("a subshell's checks are its shell's, though the shell has exec'd another program by then", async () => {
  await requireTracing();
  // The subshell is a fork that executes nothing: CAP_SYS_RESOURCE is sh's only, though asked for after sh became
  // sleep.
  const cmd = "(/bin/sleep 0.1; ulimit -n 100; ulimit -n 101) & exec /bin/sleep 1";
  for (const mode of [[], ["--summary-only"]]) {
    const { events } = await runJson([...mode, "-u", "nobody", "--", "/bin/sh", "-c", cmd]);
    const programs = summaryOf(events).rec.programs as { path: string; capabilities: string[] }[];
    assert.deepEqual(programs.map((p) => [p.path, p.capabilities]), [[SH, ["CAP_SYS_RESOURCE"]]], mode.join(" "));
  }
});

Deno.test("parallel jobs' checks are their programs', though a busy trace reads their execs late", async () => {
  await requireTracing();
  // Fifty shells forked at once, each executing nice, whose check is refused, then true: on two CPUs the records of
  // one job come from both buffers, and its exec of nice is often read after its exec of true and its exit.
  const cmd = "for i in $(seq 50); do /usr/bin/nice -n -1 /bin/true 2>/dev/null & done; wait";
  for (const mode of [["-c"], ["--unique"]]) {
    const { events, code } = await runJson([...mode, "-u", "nobody", "--", "/bin/sh", "-c", cmd]);
    assert.equal(code, 0);
    const programs = summaryOf(events).rec.programs as { path: string; capabilities: string[] }[];
    const nice = Deno.realPathSync("/usr/bin/nice");
    assert.deepEqual(programs.map((p) => [p.path, p.capabilities]), [[nice, ["CAP_SYS_NICE"]]], mode.join(" "));
  }
});

Deno.test("a program executed by a thread other than the main one is still followed and charged", async () => {
  await requireTracing();
  const bin = await fixture("thread_exec");
  const file = await rootOwnedFile();
  for (const mode of [[], ["--summary-only"]]) {
    const { events, code } = await runJson([
      ...mode,
      "-u",
      "nobody",
      "--",
      "/bin/sh",
      "-c",
      `${bin} /usr/bin/chown nobody ${file}; true`,
    ]);
    assert.equal(code, 0);
    const rec = summaryOf(events).rec;
    const programs = rec.programs as { path: string; capabilities: string[] }[];
    assert.deepEqual(
      programs.map((p) => [p.path, p.capabilities]),
      [["/usr/bin/chown", ["CAP_CHOWN"]]],
      mode.join(" "),
    );
  }
});

Deno.test("with --unique a program's check is its own, no repeat of what its process ran before", async () => {
  await requireTracing();
  // prlimit's own check of CAP_SYS_RESOURCE, after the shell exec'd it, has the shell's pid, capability and syscall.
  const cmd = "ulimit -n 100; ulimit -n 101; exec /usr/bin/prlimit --nofile=102:102 /bin/true";
  const { events } = await runJson(["--unique", "-u", "nobody", "--", "/bin/sh", "-c", cmd]);
  const shown = events.filter((e) => e.type === "check" && e.cap_name === "cap_sys_resource").map((e) => e.comm);
  assert.deepEqual(shown, ["sh", "prlimit"], "each program's check shown once");
  const programs = summaryOf(events).rec.programs as { path: string; capabilities: string[] }[];
  assert.deepEqual(programs.map((p) => [p.path, p.capabilities]), [
    [SH, ["CAP_SYS_RESOURCE"]],
    ["/usr/bin/prlimit", ["CAP_SYS_RESOURCE"]],
  ]);
});

Deno.test("--unique shows the checks of a process that took an earlier one's pid, as the new process's", async () => {
  await requireTracing();
  // Two children on one pid, one after the other, each refused CAP_SETGID by setgroups (and allowed CAP_SETUID).
  const bin = await fixture("reuse_pid");
  // Fields read at offsets from BTF, and named through the kernel's types.
  for (const env of [{}, { CAPTRACE_BTF_OFFSETS: "0" }]) {
    const r = await runJson(["--unique", "-c", "--", bin], { env });
    assert.equal(r.code, 0, `the fixture's second child took the first one's pid: ${r.stderr}`);
    const pid = Number(r.stdout.trim());
    const checks = r.events.filter((e) => e.type === "check" && e.pid === pid);
    const shown = (cap: string, ret: number) => checks.filter((e) => e.cap_name === cap && e.ret === ret).length;
    assert.equal(shown("cap_setgid", -1), 2, JSON.stringify(checks));
    assert.equal(shown("cap_setuid", 0), 2, JSON.stringify(checks));
    const setgid = summaryOf(r.events).caps.find((c) => c.cap_name === "cap_setgid");
    assert.equal(setgid?.denied, 2, JSON.stringify(setgid));
  }
});

Deno.test("a check made by io_uring's worker or polling thread has no syscall; one made inline, io_uring_enter", async () => {
  await requireTracing();
  const bin = await fixture("io_uring_open");
  const file = await rootOwnedFile();
  await Deno.chmod(file, 0o644);
  for (
    const [where, comm, syscall] of [
      ["inline", /^io_uring_open$/, "io_uring_enter"],
      ["async", /^iou-wrk-\d+$/, null],
      ["sqpoll", /^iou-sqp-\d+$/, null],
    ] as const
  ) {
    const r = await runJson(["-u", "nobody", "--", bin, file, where]);
    assert.equal(r.code, 0, `${where}: ${r.stderr}`);
    assert.equal(r.stdout.trim(), "-13", `${where}: the open was refused (EACCES)`);
    const check = r.events.find((e) => e.type === "check" && e.cap_name === "cap_dac_override");
    assert.ok(check && comm.test(check.comm as string), `${where}: ${JSON.stringify(check)}`);
    assert.deepEqual([check.syscall, check.syscall_name, check.verdict], [
      syscall === null ? null : check.syscall,
      syscall,
      "denied",
    ], where);
  }
});

Deno.test("a command given by a relative path is named by its file in the recommendation and its exec event", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    await Deno.chmod(dir, 0o755);
    const secret = `${dir}/secret`;
    await Deno.writeTextFile(secret, "", { mode: 0o600 });
    await Deno.writeTextFile(`${dir}/append.sh`, `#!/bin/sh\n: >> ${secret}\n`, { mode: 0o755 });
    await Deno.copyFile("/usr/bin/touch", `${dir}/mytouch`);
    // A script, and a binary in the typed form (whose exec records carry no inode to find the file by).
    for (
      const [argv, env] of [[["./append.sh"], {}], [["./mytouch", secret], { CAPTRACE_BTF_OFFSETS: "0" }]] as const
    ) {
      const r = await runJson(["-c", "-u", "nobody", "--", ...argv], { wrapper: ["env", "-C", dir], env });
      const file = `${dir}/${argv[0].slice(2)}`;
      const programs = summaryOf(r.events).rec.programs as { path: string; placed: boolean }[];
      assert.deepEqual(programs.map((p) => [p.path, p.placed]), [[file, true]], argv[0]);
      const exec = r.events.find((e) => e.type === "exec");
      assert.equal(exec?.filename, file, argv[0]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a program that executes itself again through /proc/self/exe, and ends at once, is named by its file", async () => {
  await requireTracing();
  const bin = await fixture("reexec_self");
  // Several runs: the second process is gone before its exec is read in some, not in others.
  for (let run = 0; run < 3; run++) {
    const r = await runJson(["-c", "-u", "nobody", "--", bin]);
    assert.equal(r.code, 0, r.stderr);
    const programs = summaryOf(r.events).rec.programs as { path: string; placed: boolean; capabilities: string[] }[];
    assert.deepEqual(programs.map((p) => [p.path, p.placed, p.capabilities]), [[bin, true, ["CAP_SYS_NICE"]]]);
    assert.equal(summaryOf(r.events).rec.setcap, `setcap cap_sys_nice+ep ${bin}`);
  }
});

Deno.test("a command whose path is too long for the exec record is named by its whole path, absolute or relative", async () => {
  await requireTracing();
  await inTempDir(0o755, async (dir) => {
    // Past the 199 bytes of bpftrace's strings: the exec record's name is cut short.
    const deep = ["a", "b", "c"].map((c) => c.repeat(90)).join("/");
    let at = dir;
    for (const part of deep.split("/")) {
      at = `${at}/${part}`;
      await Deno.mkdir(at);
      await Deno.chmod(at, 0o755);
    }
    const nice = await copyProgram("/usr/bin/nice", `${dir}/${deep}/nice`);
    // nice, refused as nobody, runs its command all the same.
    for (const [name, wrapper] of [[nice, []], [`./${deep}/nice`, ["env", "-C", dir]]] as const) {
      const r = await runJson(["-c", "-u", "nobody", "--", name, "-n", "-1", "/bin/true"], { wrapper: [...wrapper] });
      assert.equal(r.code, 0, r.stderr);
      const programs = summaryOf(r.events).rec.programs as { path: string; placed: boolean; capabilities: string[] }[];
      assert.deepEqual(programs.map((p) => [p.path, p.placed, p.capabilities]), [[nice, true, ["CAP_SYS_NICE"]]], name);
      assert.equal(r.events.find((e) => e.type === "exec")?.filename, nice, name);
    }
  });
});

Deno.test("with --no-follow the recommendation's note says the processes the command started are not covered", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  for (const follow of [true, false]) {
    const mode = follow ? [] : ["--no-follow"];
    const r = await runJson([...mode, "-c", "-u", "nobody", "--", "/bin/sh", "-c", `chown nobody ${file}; true`]);
    assert.equal(r.code, 0, r.stderr);
    const { rec } = summaryOf(r.events);
    assert.deepEqual(rec.capabilities, follow ? ["CAP_CHOWN"] : []);
    const said = /With --no-follow only process (\d+) was traced: what the processes it started needed is not covered/
      .exec(rec.note as string);
    assert.equal(said !== null, !follow, rec.note as string);
    if (said) assert.equal(Number(said[1]), r.events.find((e) => e.type === "ready")?.pid);
  }
});

Deno.test("a program deleted before the trace ended (a temporary build) gets a comment, not a setcap line", async () => {
  await requireTracing();
  await inTempDir(0o777, async (dir) => {
    const built = `${dir}/server`;
    // As `go run` does: the program is built into a temporary directory, run, and deleted. nice, refused as nobody,
    // runs its command all the same.
    const script = `cp /usr/bin/nice ${built} && ${built} -n -1 /bin/sleep 0.5; rm -f ${built}`;
    const r = await runJson(["-c", "-u", "nobody", "--", "/bin/sh", "-c", script]);
    assert.equal(r.code, 0, r.stderr);
    const { rec } = summaryOf(r.events);
    const programs = rec.programs as { path: string; deleted?: boolean; capabilities: string[] }[];
    assert.deepEqual(programs.filter((p) => p.deleted).map((p) => [p.path, p.capabilities]), [
      [built, ["CAP_SYS_NICE"]],
    ]);
    assert.match(
      rec.setcap as string,
      new RegExp(`^# ${built} \\(deleted before the trace ended, as a temporary build is\\): grant cap_sys_nice `, "m"),
    );
    assert.doesNotMatch(rec.setcap as string, /^setcap cap_sys_nice/m);
    for (const e of r.events) assert.deepEqual(validateEvent(e), [], JSON.stringify(e));
  });
});

Deno.test("a capability outside the bounding set is left out of the setcap line, which would keep the program from running", async () => {
  await requireTracing();
  await inTempDir(0o755, async (dir) => {
    const prlimit = await copyProgram("/usr/bin/prlimit", `${dir}/prlimit`);
    // captrace, and so the command, without CAP_SYS_RESOURCE in the bounding set, as in a container; raising a hard
    // limit asks for it.
    const r = await runJson([
      "-c",
      "-u",
      "nobody",
      "--",
      "/bin/sh",
      "-c",
      `ulimit -n 1024; exec ${prlimit} -n1024:8192 true`,
    ], {
      wrapper: ["setpriv", "--bounding-set", "-sys_resource", "--"],
    });
    assert.equal(r.code, 1, r.stderr);
    const { rec } = summaryOf(r.events);
    assert.deepEqual(rec.capabilities, ["CAP_SYS_RESOURCE"]);
    assert.equal(
      rec.setcap,
      `# ${prlimit} asked for cap_sys_resource, outside the bounding set here: no file capability grants it, and in ` +
        "a setcap line it would keep the program from running; add it to the line where the bounding set has it",
    );
    assert.match(rec.note as string, / CAP_SYS_RESOURCE is outside the bounding set of the traced processes /);
    assert.match(rec.systemd as string, /AmbientCapabilities=CAP_SYS_RESOURCE/);
  });
});

Deno.test("a program run by a relative path is not named after what it exec'd next", async () => {
  await requireTracing();
  const { events } = await runJson(["--", "/bin/sh", "-c", "cd /usr/sbin && ./chroot / /bin/sleep 0.2"]);
  const programs = summaryOf(events).rec.programs as { path: string; capabilities: string[] }[];
  const chroot = programs.filter((p) => p.capabilities.includes("CAP_SYS_CHROOT")).map((p) => p.path);
  // Found where the process is, or once it has moved on, in the shell's directory, by the inode executed: never sleep.
  assert.deepEqual(chroot, ["/usr/sbin/chroot"], JSON.stringify(programs));
  // Nor a program of the same name it executed next (env ./sleep /usr/bin/sleep: by the time the exec is looked up,
  // the process runs /usr/bin/sleep).
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    await Deno.chmod(dir, 0o755);
    // nice, refused as nobody, runs its command all the same.
    await Deno.copyFile(await Deno.realPath("/usr/bin/nice"), `${dir}/sleep`);
    await Deno.chmod(`${dir}/sleep`, 0o755);
    const argv = ["/usr/bin/env", "./sleep", "-n", "-1", "/usr/bin/sleep", "0.3"];
    const r = await runJson(["-u", "nobody", "--", "/bin/sh", "-c", `cd ${dir} && exec "$@"`, "sh", ...argv]);
    const own = (summaryOf(r.events).rec.programs as { path: string; capabilities: string[] }[])
      .filter((p) => p.capabilities.includes("CAP_SYS_NICE")).map((p) => p.path);
    assert.deepEqual(own, [`${await Deno.realPath(dir)}/sleep`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a short-lived program run by a relative path is found by its parent's directory, only if it is the file run", async () => {
  await requireTracing();
  // Two directories each with a program named tool: the one run (a copy of chown), and a decoy (a copy of true).
  const top = await Deno.makeTempDir({ prefix: "captrace-test-" });
  try {
    await Deno.chmod(top, 0o755);
    for (const [dir, from] of [["run", "/bin/chown"], ["decoy", "/bin/true"]] as const) {
      await Deno.mkdir(`${top}/${dir}`, { mode: 0o755 });
      await Deno.copyFile(from, `${top}/${dir}/tool`);
      await Deno.chmod(`${top}/${dir}/tool`, 0o755);
    }
    const file = await rootOwnedFile();
    const setcapOf = async (script: string) => {
      const r = await runJson(["-c", "-u", "nobody", "--", "/bin/sh", "-c", script], { wrapper: ["env", "-C", "/"] });
      return summaryOf(r.events).rec.setcap as string;
    };
    // tool is gone before captrace looks; the shell that ran it is still in its directory.
    assert.equal(
      await setcapOf(`cd ${top}/run && ./tool nobody ${file}; sleep 1`),
      `setcap cap_chown+ep ${top}/run/tool`,
    );
    // The shell has moved to the decoy's directory since: that tool is not the file run, and is never named.
    const moved = await setcapOf(`cd ${top}/run && { ./tool nobody ${file} & } ; cd ${top}/decoy; sleep 1`);
    assert.ok(!moved.includes(`${top}/decoy/tool`), moved);
    assert.ok(
      [
        `setcap cap_chown+ep ${top}/run/tool`,
        "# ./tool (as it was run; captrace could not find the file): grant cap_chown to that file by its full path, or to its service or container (below)",
      ].includes(moved),
      moved,
    );
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

/**
 * A root of its own for `f`: a directory with a static chown_in_root at /bin/prog and at /usr/bin/true, /bin/link a
 * link to /bin/prog by its path in that root (not captrace's), and /old for pivot_root. Removed after.
 */
async function withRoot(f: (dir: string) => Promise<void>): Promise<void> {
  const prog = await fixture("chown_in_root", ["-O2", "-static"]);
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-root-" });
  try {
    await Deno.mkdir(`${dir}/old`);
    // The same program by a path this system has too, for the tests that must not name this system's file.
    for (const path of ["/bin/prog", "/usr/bin/true"]) {
      await Deno.mkdir(`${dir}${path.slice(0, path.lastIndexOf("/"))}`, { recursive: true });
      await Deno.copyFile(prog, `${dir}${path}`);
      await Deno.chmod(`${dir}${path}`, 0o755);
    }
    await Deno.symlink("/bin/prog", `${dir}/bin/link`);
    await f(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a program run in a chroot is named by its path from here, its links followed inside the chroot", async () => {
  await requireTracing();
  await withRoot(async (dir) => {
    const { events, code } = await runJson(["--", "chroot", dir, "/bin/link"]);
    assert.equal(code, 0);
    const rec = summaryOf(events).rec;
    // chroot(8) itself ran in this root: it changed its root after its exec, before captrace looked its file up.
    assert.equal(rec.setcap, `setcap cap_sys_chroot+ep /usr/sbin/chroot\nsetcap cap_chown+ep ${dir}/bin/prog`);
  });
});

Deno.test("a chroot's program gone before captrace looks is never named as this system's file of its path", async () => {
  await requireTracing();
  await withRoot(async (dir) => {
    // /usr/bin/true in the chroot chowns, fails to exec what is not there, and exits at once.
    const { events } = await runJson(["--", "chroot", dir, "/usr/bin/true", "0", "/missing"]);
    const rec = summaryOf(events).rec;
    const programs = rec.programs as { path: string; placed: boolean; capabilities: string[] }[];
    const prog = programs.find((p) => p.capabilities.includes("CAP_CHOWN"));
    // Found in the chroot while it ran, or named as run and marked: never a setcap line for /usr/bin/true here.
    assert.ok(
      prog && (prog.path === `${dir}/usr/bin/true` || (prog.path === "/usr/bin/true" && !prog.placed)),
      JSON.stringify(programs),
    );
    assert.doesNotMatch(rec.setcap as string, /^setcap \S+ \/usr\/bin\/true$/m);
  });
});

Deno.test("a chroot inside another mount namespace is not that namespace's root: no line for this system's file", async () => {
  await requireTracing();
  await withRoot(async (dir) => {
    // The namespace's root is this system's; its shell stays there while the chroot's program exits at once.
    const script = `chroot ${dir} /usr/bin/true 0 /missing; sleep 1.5`;
    const { events } = await runJson(["--", "unshare", "-m", "sh", "-c", script]);
    const rec = summaryOf(events).rec;
    const programs = rec.programs as {
      path: string;
      placed: boolean;
      mount_ns: number | null;
      capabilities: string[];
    }[];
    const prog = programs.find((p) => p.capabilities.includes("CAP_CHOWN"));
    assert.ok(prog && prog.path === "/usr/bin/true" && prog.mount_ns !== null, JSON.stringify(programs));
    assert.doesNotMatch(rec.setcap as string, /^setcap \S+ \/usr\/bin\/true$/m);
  });
});

Deno.test("a chroot in another mount namespace is named by its path in that namespace, not in the chroot", async () => {
  await requireTracing();
  const prog = await fixture("chown_in_root", ["-O2", "-static"]);
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-root-" });
  try {
    // A tmpfs only the namespace sees holds the program; in the chroot it waits 0.3 s, then chowns, and stays a
    // moment: time to look it up there.
    const script = `mount -t tmpfs x ${dir} && mkdir ${dir}/bin && cp ${prog} ${dir}/bin/prog && ` +
      `chroot ${dir} /bin/prog 300`;
    const { events, code } = await runJson(["--", "unshare", "-m", "sh", "-c", script]);
    assert.equal(code, 0);
    const rec = summaryOf(events).rec;
    const programs = rec.programs as { path: string; mount_ns: number | null; capabilities: string[] }[];
    const chowner = programs.find((p) => p.capabilities.includes("CAP_CHOWN"));
    assert.ok(chowner?.path === `${dir}/bin/prog` && chowner.mount_ns !== null, JSON.stringify(programs));
    assert.match(rec.setcap as string, new RegExp(`run there: setcap cap_chown\\+ep ${dir}/bin/prog$`, "m"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a program of this system run in another mount namespace, gone before captrace looked, is this system's", async () => {
  await requireTracing();
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-root-" });
  const go = await Deno.makeTempFile();
  await Deno.remove(go);
  // A shell in a namespace of its own, attached to: again and again, setpriv (the host's file, seen there too)
  // changes ids and execs a file only the namespace has, which ends at once. setpriv's file is looked up after it
  // is gone: through the shell, still there. It begins once the trace runs (the file `go` made).
  const script = `mount -t tmpfs x ${dir} && cp /usr/bin/true ${dir}/t && ` +
    `while [ ! -e ${go} ]; do sleep 0.05; done && for i in $(seq 10); do ` +
    `setpriv --reuid=65534 --regid=65534 --clear-groups ${dir}/t; sleep 0.3; done`;
  const loop = new Deno.Command("unshare", { args: ["-m", "sh", "-c", script], stdout: "null", stderr: "null" })
    .spawn();
  try {
    const trace = await traceInBackground(["-c", "-p", String(loop.pid)]);
    await Deno.writeTextFile(go, "");
    const events = await trace.end();
    const programs = summaryOf(events).rec.programs as { path: string; mount_ns: number | null }[];
    const setprivs = programs.filter((p) => p.path.endsWith("/setpriv"));
    assert.deepEqual(setprivs.map((p) => p.mount_ns), [null], JSON.stringify(programs));
  } finally {
    try {
      loop.kill("SIGKILL");
    } catch {
      // ended
    }
    await loop.status;
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(go).catch(() => {});
  }
});

Deno.test("a program of this system gone from another mount namespace, its parent too, is this system's by inode", async () => {
  await requireTracing();
  // unshare -m execs setpriv, which execs nice there: the same files as here, all gone at once, none left to read
  // them through.
  const { events, code } = await runJson([
    "--",
    ..."unshare -m setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/nice -n -2 /bin/true".split(" "),
  ]);
  assert.equal(code, 0);
  const rec = summaryOf(events).rec;
  const programs = rec.programs as { path: string; mount_ns: number | null; capabilities: string[] }[];
  const nice = programs.find((p) => p.capabilities.includes("CAP_SYS_NICE"));
  assert.ok(nice?.path === "/usr/bin/nice" && nice.mount_ns === null, JSON.stringify(programs));
  assert.match(rec.setcap as string, /^setcap \S*cap_sys_nice\S*\+ep \/usr\/bin\/nice$/m);
});

Deno.test("a program in another mount namespace gets its setcap line to run there, with the namespace", async () => {
  await requireTracing();
  await withRoot(async (dir) => {
    // A container's start, as runtimes do it: a mount namespace of its own, pivot_root into the image, exec.
    const script = `mount --make-rprivate / && mount --bind ${dir} ${dir} && cd ${dir} && pivot_root . old && ` +
      "exec /bin/link";
    const { events, code } = await runJson(["--", "unshare", "-m", "sh", "-c", script]);
    assert.equal(code, 0);
    const rec = summaryOf(events).rec;
    const programs = rec.programs as { path: string; mount_ns: number | null; capabilities: string[] }[];
    const prog = programs.find((p) => p.path === "/bin/prog");
    assert.ok(prog, JSON.stringify(programs));
    const ours = Number(/\d+/.exec(await Deno.readLink("/proc/self/ns/mnt"))![0]);
    assert.ok(prog.mount_ns !== null && prog.mount_ns !== ours, `another namespace than ours (${ours})`);
    assert.deepEqual(prog.capabilities, ["CAP_CHOWN"]);
    assert.match(
      rec.setcap as string,
      new RegExp(
        `^# in mount namespace mnt:\\[${prog.mount_ns}\\] \\(a container's files, not this system's\\), run there: ` +
          "setcap cap_chown\\+ep /bin/prog$",
        "m",
      ),
    );
    // What ran before the pivot is this system's.
    assert.ok(programs.some((p) => p.path === "/usr/bin/unshare" && p.mount_ns === null), JSON.stringify(programs));
  });
});

Deno.test("a container's wrapper that execs again is still named in its namespace, though this system has its path", async () => {
  await requireTracing();
  await withRoot(async (dir) => {
    // /usr/bin/true in the container is the program: it chowns, then execs /bin/prog, long before captrace looks.
    const script = `mount --make-rprivate / && mount --bind ${dir} ${dir} && cd ${dir} && pivot_root . old && ` +
      "exec /usr/bin/true 0 /bin/prog";
    const { events, code } = await runJson(["--", "unshare", "-m", "sh", "-c", script]);
    assert.equal(code, 0);
    const programs = summaryOf(events).rec.programs as { path: string; mount_ns: number | null }[];
    const wrapper = programs.find((p) => p.path === "/usr/bin/true");
    assert.ok(wrapper && wrapper.mount_ns !== null, JSON.stringify(programs));
    assert.ok(
      programs.some((p) => p.path === "/bin/prog" && p.mount_ns === wrapper.mount_ns),
      JSON.stringify(programs),
    );
  });
});

Deno.test("a file bind-mounted over in a private mount namespace is that namespace's, not this system's", async () => {
  await requireTracing();
  await withRoot(async (dir) => {
    // Same root as captrace, another namespace: there, the path of a copy of /bin/true is the chowning program.
    await Deno.copyFile("/bin/true", `${dir}/tool`);
    const script = `mount --make-rprivate / && mount --bind ${dir}/bin/prog ${dir}/tool && exec ${dir}/tool`;
    const { events, code } = await runJson(["--", "unshare", "-m", "sh", "-c", script]);
    assert.equal(code, 0);
    const programs = summaryOf(events).rec.programs as {
      path: string;
      mount_ns: number | null;
      capabilities: string[];
    }[];
    const tool = programs.find((p) => p.capabilities.includes("CAP_CHOWN"));
    assert.equal(tool?.path, `${dir}/tool`, JSON.stringify(programs));
    assert.notEqual(tool?.mount_ns, null, "this system's file of that path is /bin/true");
    // unshare and mount ran before, on this system's files.
    assert.ok(programs.some((p) => p.path === "/usr/bin/mount" && p.mount_ns === null), JSON.stringify(programs));
  });
});

Deno.test("--pid of a process in another mount namespace names its binary there, with the namespace", async () => {
  await requireTracing();
  await withRoot(async (dir) => {
    const script = `mount --make-rprivate / && mount --bind ${dir} ${dir} && cd ${dir} && pivot_root . old && ` +
      "exec /bin/link usr1";
    // unshare and sh exec in place: the child's pid ends up running /bin/prog, waiting for a SIGUSR1 to chown.
    const child = new Deno.Command("unshare", { args: ["-m", "sh", "-c", script], stdin: "null", stdout: "piped" })
      .spawn();
    const said = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      // Said once SIGUSR1 is blocked, until sigwait takes it: sent before, it would kill the program.
      assert.equal((await said.read()).value, "waiting\n", "the program started in its namespace");
      const ns = Number(/\d+/.exec(await Deno.readLink(`/proc/${child.pid}/ns/mnt`))![0]);
      const t = await traceInBackground(["-p", String(child.pid)]);
      Deno.kill(child.pid, "SIGUSR1");
      const events = await t.end();
      const rec = summaryOf(events).rec;
      const programs = rec.programs as { path: string; mount_ns: number | null; capabilities: string[] }[];
      assert.deepEqual(programs.map((p) => [p.path, p.capabilities]), [["/bin/prog", ["CAP_CHOWN"]]]);
      assert.equal(programs[0]!.mount_ns, ns);
      assert.match(
        rec.setcap as string,
        /^# in mount namespace mnt:\[\d+\] .*run there: setcap cap_chown\+ep \/bin\/prog$/,
      );
      assert.equal((await child.status).code, 0, "the program did its chown");
    } finally {
      await said.cancel().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // ended
      }
      await child.status;
    }
  });
});

Deno.test("a program whose reads fell back to CAP_DAC_OVERRIDE gets CAP_DAC_READ_SEARCH, another's writes keep it", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  await Deno.chmod(file, 0o600);
  const { events } = await runJson([
    "-u",
    "nobody",
    "--",
    "/bin/sh",
    "-c",
    `/usr/bin/cat ${file}; /usr/bin/touch ${file}`,
  ]);
  const rec = summaryOf(events).rec;
  assert.ok((rec.capabilities as string[]).includes("CAP_DAC_OVERRIDE"), "touch's write needs it");
  const of = (path: string) =>
    (rec.programs as { path: string; capabilities: string[] }[]).find((p) => p.path === path);
  assert.deepEqual(of("/usr/bin/cat")?.capabilities, ["CAP_DAC_READ_SEARCH"], JSON.stringify(rec.programs));
  assert.ok(of("/usr/bin/touch")?.capabilities.includes("CAP_DAC_OVERRIDE"), JSON.stringify(rec.programs));
});

Deno.test("reading a file takes CAP_DAC_READ_SEARCH alone; writing one still needs CAP_DAC_OVERRIDE", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  await Deno.chmod(file, 0o600);
  const read = await runJson(["-c", "-u", "nobody", "--", "/bin/cat", file]);
  const r = summaryOf(read.events).rec;
  assert.deepEqual(r.capabilities, ["CAP_DAC_READ_SEARCH"], JSON.stringify(r));
  const narrowed = r.narrowed as { cap: string; instead_of: string }[];
  assert.deepEqual(narrowed.map((n) => [n.cap, n.instead_of]), [["CAP_DAC_READ_SEARCH", "CAP_DAC_OVERRIDE"]]);
  const write = await runJson(["-c", "-u", "nobody", "--", "/bin/sh", "-c", `: >> ${file}`]);
  assert.ok((summaryOf(write.events).rec.capabilities as string[]).includes("CAP_DAC_OVERRIDE"));
});

Deno.test("run again with CAP_DAC_READ_SEARCH granted, a program that reads and writes gets CAP_DAC_OVERRIDE alone, which works", async () => {
  await requireTracing();
  const secret = await rootOwnedFile();
  await Deno.chmod(secret, 0o600);
  const dir = secret.slice(0, secret.lastIndexOf("/"));
  const out = `${dir}/out`;
  await Deno.writeTextFile(out, "");
  await Deno.chmod(out, 0o644);
  // The first run's advice for its read, granted: the read is allowed, and only the write is refused.
  const dd = `${dir}/dd`;
  await Deno.copyFile("/usr/bin/dd", dd);
  const grant = (caps: string) => new Deno.Command("setcap", { args: [caps, dd] }).output().then((o) => o.success);
  assert.ok(await grant("cap_dac_read_search+ep"));
  for (const mode of [[], ["--unique"], ["--summary-only"]]) {
    const r = await runJson([...mode, "-u", "nobody", "--", dd, `if=${secret}`, `of=${out}`]);
    assert.equal(r.code, 1, `dd could not open its output (${mode.join(" ")}): ${r.stderr}`);
    const rec = summaryOf(r.events).rec;
    assert.deepEqual(rec.capabilities, ["CAP_DAC_OVERRIDE"], `${mode.join(" ")}: ${JSON.stringify(rec)}`);
    assert.equal(rec.setcap, `setcap cap_dac_override+ep ${dd}`);
    assert.match(rec.note as string, /CAP_DAC_READ_SEARCH, allowed for reads, is left out/);
  }
  // The recommendation, applied, is enough.
  assert.ok(await grant("cap_dac_override+ep"));
  const run = await new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", dd, `if=${secret}`, `of=${out}`],
    stderr: "null",
  }).output();
  assert.ok(run.success, "dd as nobody with CAP_DAC_OVERRIDE alone");
  assert.equal(await Deno.readTextFile(out), "x");
});

Deno.test("chmod by a user outside the file's group needs no CAP_FSETID, though the kernel refuses it: the note says why", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  await new Deno.Command("chown", { args: ["nobody:root", file] }).output();
  const r = await runJson(["-c", "-u", "nobody", "--", "/usr/bin/chmod", "600", file]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await Deno.stat(file)).mode! & 0o7777, 0o600, "the chmod succeeded");
  const refused = r.events.filter((e) => e.type === "check" && e.cap_name === "cap_fsetid" && e.ret !== 0);
  assert.ok(refused.length > 0, "the kernel asked for CAP_FSETID and refused it");
  const rec = summaryOf(r.events).rec;
  assert.deepEqual(rec.capabilities, [], JSON.stringify(rec));
  assert.match(rec.note as string, /CAP_FSETID, asked of every chmod by a user outside the file's group \(\d+×\)/);
});

Deno.test("--unique and --summary-only narrow by the kernel's counts as the full stream does", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  await Deno.chmod(file, 0o600);
  // A read falls back from CAP_DAC_READ_SEARCH to CAP_DAC_OVERRIDE; the write's CAP_DAC_OVERRIDE (a repeat of the
  // fallback's key, which --unique does not print) is on its own. cat alone only reads.
  const both = ["/bin/sh", "-c", `read x < ${file} || true; true >> ${file}`];
  const read = ["/usr/bin/cat", file];
  for (const mode of [[], ["--unique"], ["--summary-only"]]) {
    // CAP_DAC_OVERRIDE, needed for the write, lets the read through too.
    const rw = summaryOf((await runJson([...mode, "-u", "nobody", "--", ...both])).events).rec;
    assert.deepEqual(rw.capabilities, ["CAP_DAC_OVERRIDE"], mode.join(" "));
    const narrowed = (rec: Record<string, unknown>) =>
      (rec.narrowed as { cap: string; instead_of: string }[]).map((n) => [n.cap, n.instead_of]);
    assert.deepEqual(narrowed(rw), [], mode.join(" "));
    const r = summaryOf((await runJson([...mode, "-u", "nobody", "--", ...read])).events).rec;
    assert.deepEqual(r.capabilities, ["CAP_DAC_READ_SEARCH"], mode.join(" "));
    assert.deepEqual(narrowed(r), [["CAP_DAC_READ_SEARCH", "CAP_DAC_OVERRIDE"]], mode.join(" "));
  }
});

/**
 * Runs `f` in a fresh tmpfs mounted with `options`, so that what a test asks of the mount (set-user-ID bits and file
 * capabilities honoured or not) does not hang on how TMPDIR is mounted: a tmpfs /tmp is often nosuid.
 */
async function inTmpfs(options: string, f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  const mount = await new Deno.Command("mount", { args: ["-t", "tmpfs", "-o", options, "captrace-test", dir] })
    .output();
  if (!mount.success) {
    await Deno.remove(dir);
    assert.fail(`mount -o ${options}: ${new TextDecoder().decode(mount.stderr)}`);
  }
  try {
    await f(dir);
  } finally {
    // Lazily, so that a test's own failure is not hidden by a mount still busy (a process left in it).
    await new Deno.Command("umount", { args: ["--lazy", dir] }).output();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test("a touch takes CAP_FOWNER, not its fallback, and that alone is enough; elsewhere CAP_FOWNER pairs with none", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  await Deno.chmod(file, 0o600);
  // The file capability set below must work when run: not on a nosuid TMPDIR.
  await inTmpfs("mode=755", async (dir) => {
    // utimensat with no times: refused as nobody, after CAP_FOWNER and then CAP_DAC_OVERRIDE.
    const copy = `${dir}/utimes_now`;
    await Deno.copyFile(await fixture("utimes_now"), copy);
    const asNobody = ["--reuid=65534", "--regid=65534", "--clear-groups", copy, file];
    assert.equal((await new Deno.Command("setpriv", { args: asNobody, stderr: "null" }).output()).code, 1);
    for (const mode of [[], ["--unique"], ["--summary-only"]]) {
      const what = mode.join(" ");
      const { events } = await runJson([...mode, "-c", "-u", "nobody", "--", copy, file]);
      if (mode.length === 0) {
        const refused = events.filter((e) => e.type === "check" && e.verdict === "denied").map((e) => e.cap_name);
        assert.deepEqual(refused, ["cap_fowner", "cap_dac_override"], what);
      }
      const rec = summaryOf(events).rec;
      assert.deepEqual(rec.capabilities, ["CAP_FOWNER"], `${what}: ${JSON.stringify(rec)}`);
      const narrowed = rec.narrowed as { cap: string; instead_of: string; fallback_only: boolean }[];
      assert.deepEqual(narrowed.map((n) => [n.cap, n.instead_of, n.fallback_only]), [
        ["CAP_FOWNER", "CAP_DAC_OVERRIDE", true],
      ], what);
      assert.equal(rec.setcap, `setcap cap_fowner+ep ${copy}`, what);
    }
    // The line it recommends, run: the call succeeds as nobody with that capability alone.
    assert.ok((await new Deno.Command("setcap", { args: ["cap_fowner+ep", copy] }).output()).success);
    assert.equal((await new Deno.Command("setpriv", { args: asNobody }).output()).code, 0, "with CAP_FOWNER");
    // touch writes the file first (open for writing: CAP_DAC_OVERRIDE on its own), which covers its times too.
    const touch = summaryOf((await runJson(["-c", "-u", "nobody", "--", "/usr/bin/touch", file])).events).rec;
    assert.deepEqual(touch.capabilities, ["CAP_DAC_OVERRIDE"], JSON.stringify(touch));
    assert.deepEqual(touch.narrowed, []);
    // O_NOATIME refused on CAP_FOWNER ends its openat; the next openat's CAP_DAC_OVERRIDE, a write, is its own need.
    await Deno.chmod(file, 0o644);
    const other = await rootOwnedFile();
    await Deno.chmod(other, 0o600);
    const bin = await fixture("noatime_write");
    for (const mode of [[], ["--summary-only"]]) {
      const { events, stdout } = await runJson([...mode, "-c", "-u", "nobody", "--", bin, file, other]);
      assert.equal(stdout, "noatime: Operation not permitted\nwrite: Permission denied\n");
      const rec = summaryOf(events).rec;
      assert.deepEqual(rec.capabilities, ["CAP_DAC_OVERRIDE", "CAP_FOWNER"], `${mode}: ${JSON.stringify(rec)}`);
      assert.deepEqual(rec.narrowed, [], mode.join(" "));
    }
  });
});

Deno.test("--baseline holds a capability also needed on its own, though narrowed elsewhere, to the baseline", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  await Deno.chmod(file, 0o600);
  // A touch (CAP_FOWNER, then CAP_DAC_OVERRIDE) and a chmod (CAP_FOWNER alone) of a root-owned file.
  const bin = await fixture("utimes_now");
  const script = `${bin} ${file}; chmod 600 ${file}; true`;
  const list = await Deno.makeTempFile();
  try {
    const { events } = await runJson(["-c", "-u", "nobody", "--", "/bin/sh", "-c", script]);
    assert.deepEqual(summaryOf(events).rec.capabilities, ["CAP_FOWNER"]);
    await Deno.writeTextFile(list, "CAP_DAC_OVERRIDE\n");
    const r = await runCli(["--baseline", list, "-u", "nobody", "--", "/bin/sh", "-c", script]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, new RegExp(`^captrace: CAP_FOWNER needed, not in baseline ${list}$`, "m"));
    // A touch alone: CAP_DAC_OVERRIDE would do for it, and the baseline that lists it passes.
    assert.equal((await runCli(["--baseline", list, "-u", "nobody", "--", bin, file])).code, 1);
  } finally {
    await Deno.remove(list);
  }
});

Deno.test("the text summary shows the table and every paste-ready format", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const r = await runCli(["-c", "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  assert.match(r.stderr, /^cap_chown {19}1 {7}0 {7}1 {7}1 {7}0 {5}1 fchownat$/m);
  assert.match(r.stderr, /^Recommendation: CAP_CHOWN$/m);
  assert.match(r.stderr, /^ {2}setcap cap_chown\+ep \/usr\/bin\/chown$/m);
  assert.match(r.stderr, /^ {2}docker run --cap-drop=ALL --cap-add=CHOWN IMAGE$/m);
});

Deno.test("the same chown as root is allowed and gives the same recommendation", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const { events, code } = await runJson(["-c", "--", "/usr/bin/chown", "nobody", file]);
  assert.equal(code, 0);
  const { caps, rec } = summaryOf(events);
  const chown = caps.find((c) => c.cap_name === "cap_chown");
  assert.deepEqual([chown?.allowed, chown?.denied], [1, 0]);
  assertChownEverywhere(rec);
  assert.equal((await Deno.stat(file)).uid, 65534, "root really changed the owner");
});

Deno.test("a program that does nothing privileged needs no capabilities", async () => {
  await requireTracing();
  const { events } = await runJson(["-c", "-u", "nobody", "--", "/bin/true"]);
  const { rec } = summaryOf(events);
  assert.deepEqual(rec.capabilities, []);
  assert.equal(rec.docker, "docker run --cap-drop=ALL IMAGE");
  const r = await runCli(["-c", "-u", "nobody", "--", "/bin/true"]);
  assert.match(r.stderr, /^Recommendation: no capabilities needed\.$/m);
  // Its file has no file capabilities to remove: `setcap -r` would fail. A copy that has some gets the line.
  const truePath = await Deno.realPath("/bin/true");
  assert.equal(rec.setcap, `# ${truePath} needs no capability, and has no file capabilities to remove`);
  // Run through a launcher that execs it (env), the line is the program's, not the launcher's.
  const viaEnv = summaryOf((await runJson(["-c", "-u", "nobody", "--", "env", "X=1", "/bin/true"])).events).rec;
  assert.equal(viaEnv.setcap, rec.setcap);
  const dir = await Deno.makeTempDir();
  try {
    await Deno.chmod(dir, 0o755);
    await Deno.copyFile("/bin/true", `${dir}/true`);
    assert.ok((await new Deno.Command("setcap", { args: ["cap_net_raw+ep", `${dir}/true`] }).output()).success);
    const withCaps = summaryOf((await runJson(["-c", "-u", "nobody", "--", `${dir}/true`])).events).rec;
    assert.equal(withCaps.setcap, `setcap -r ${dir}/true`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a set-user-ID-root program run as another user is noted as having run as root, and gets no setcap line", async () => {
  await requireTracing();
  await inTmpfs("mode=755", async (dir) => {
    for (const name of ["suid", "plain"]) await Deno.copyFile("/bin/true", `${dir}/${name}`);
    await Deno.chmod(`${dir}/suid`, 0o4755);
    await Deno.chmod(`${dir}/plain`, 0o755);
    let setcap = "";
    const note = async (args: string[]) => {
      const r = await runJson(["-c", ...args]);
      assert.equal(r.code, 0, r.stderr);
      setcap = summaryOf(r.events).rec.setcap as string;
      return summaryOf(r.events).rec.note as string;
    };
    const suid = await note(["-u", "nobody", "--", `${dir}/suid`]);
    assert.equal(
      setcap,
      `# ${dir}/suid is set-user-ID root: it ran as root, so what it needs without the bit is not seen; trace a copy ` +
        "without the bit (cp, then chmod u-s) for its setcap line",
    );
    assert.ok(
      suid.endsWith(
        ` ${dir}/suid is set-user-ID root: run by nobody, it ran as root, whose files are its own and whose checks ` +
          "pass, so what it needs without that bit is not seen.",
      ),
      suid,
    );
    assert.doesNotMatch(await note(["-u", "nobody", "--", `${dir}/plain`]), /set-user-ID/);
    assert.doesNotMatch(setcap, /set-user-ID/);
    assert.doesNotMatch(await note(["--", `${dir}/suid`]), /set-user-ID/, "run as root, the bit changes nothing");
    assert.doesNotMatch(setcap, /set-user-ID/);
    // Run by the command, one that made checks (chown, as root: an allowed CAP_CHOWN) is named too.
    await Deno.copyFile("/usr/bin/chown", `${dir}/suid_chown`);
    await Deno.chmod(`${dir}/suid_chown`, 0o4755);
    const file = await rootOwnedFile();
    const child = await note(["-u", "nobody", "--", "/bin/sh", "-c", `${dir}/suid_chown 65534 ${file}; true`]);
    assert.equal(
      setcap,
      `# ${dir}/suid_chown is set-user-ID root: it ran as root, so what it needs without the bit (cap_chown as root) ` +
        "is not seen; trace a copy without the bit (cp, then chmod u-s) for its setcap line",
    );
    assert.ok(
      child.endsWith(
        ` ${dir}/suid_chown is set-user-ID root: run by nobody, it ran as root, whose files are ` +
          "its own and whose checks pass, so what it needs without that bit is not seen.",
      ),
      child,
    );
  });
});

Deno.test("a set-user-ID-root program on a nosuid mount runs as its user, and gets no note", async () => {
  await requireTracing();
  await inTmpfs("mode=755,nosuid", async (dir) => {
    await Deno.copyFile("/usr/bin/chown", `${dir}/suid_chown`);
    await Deno.chmod(`${dir}/suid_chown`, 0o4755);
    const file = await rootOwnedFile();
    const r = await runJson(["-c", "-u", "nobody", "--", `${dir}/suid_chown`, "65534", file]);
    assert.equal(r.code, 1, "chown ran as nobody, and failed");
    const { caps, rec } = summaryOf(r.events);
    assert.equal(caps.find((c) => c.cap_name === "cap_chown")?.denied, 1);
    assert.doesNotMatch(rec.note as string, /set-user-ID/);
  });
});

Deno.test("a program that drops its capabilities needs none; one that raises its inheritable set needs CAP_SETPCAP", async () => {
  await requireTracing();
  const bin = await fixture("drop_caps");
  for (const mode of [[], ["--unique"], ["--summary-only"]]) {
    const { events, code } = await runJson([...mode, "-v", "-c", "-u", "nobody", "--", bin]);
    assert.equal(code, 0, "the capset succeeded without CAP_SETPCAP");
    const { caps, rec } = summaryOf(events);
    const setpcap = caps.find((c) => c.cap_name === "cap_setpcap");
    assert.deepEqual([setpcap?.denied, setpcap?.noaudit], [1, 1], mode.join(" "));
    assert.deepEqual(rec.capabilities, [], mode.join(" "));
    if (mode.length === 0) {
      const check = events.find((e) => e.type === "check" && e.cap_name === "cap_setpcap");
      assert.deepEqual([check?.syscall_name, check?.verdict, check?.opts, check?.audit], [
        "capset",
        "denied",
        2,
        false,
      ]);
    }
    // Bits past the last capability, which the kernel drops, need nothing either.
    assert.deepEqual(await _recommendedAsNobody(mode, [bin, "unknown"], 0, "capset succeeded"), [], mode.join(" "));
    // Raising the inheritable set beyond what it holds does need CAP_SETPCAP: refused, the call fails.
    assert.deepEqual(await _recommendedAsNobody(mode, [bin, "raise"], 1, "capset failed"), ["CAP_SETPCAP"]);
    // As root the check is allowed, and done without all the same: to drop, and to raise the inheritable set within
    // the permitted one root holds.
    for (const arg of ["drop", "raise"]) {
      const r = await runJson([...mode, "-c", "--", bin, arg]);
      assert.equal(r.code, 0, `capset as root (${arg}, ${mode.join(" ")}): ${r.stderr}`);
      const { caps, rec } = summaryOf(r.events);
      const setpcap = caps.find((c) => c.cap_name === "cap_setpcap");
      assert.deepEqual([setpcap?.allowed, setpcap?.noaudit], [1, 1], `${arg} ${mode.join(" ")}`);
      assert.deepEqual(rec.capabilities, [], `${arg} ${mode.join(" ")}`);
    }
  }
});

Deno.test("setuid and setgid to the ids a program has need nothing; to another's they do; to root's, named, not", async () => {
  await requireTracing();
  const bin = await fixture("setid_same");
  for (const mode of [[], ["--unique"], ["--summary-only"]]) {
    const same = await runJson([...mode, "-v", "-c", "-u", "nobody", "--", bin]);
    assert.equal(same.code, 0, "the calls succeeded without the capabilities");
    const { caps, rec } = summaryOf(same.events);
    const row = (name: string) => caps.find((c) => c.cap_name === name);
    assert.deepEqual([row("cap_setgid")?.denied, row("cap_setgid")?.noaudit], [1, 1], mode.join(" "));
    assert.deepEqual([row("cap_setuid")?.denied, row("cap_setuid")?.noaudit], [1, 1], mode.join(" "));
    assert.deepEqual(rec.capabilities, [], mode.join(" "));
    if (mode.length === 0) {
      const setid = same.events.filter((e) => e.type === "check" && /^cap_set[ug]id$/.test(e.cap_name as string));
      assert.deepEqual(setid.map((e) => [e.syscall_name, e.verdict, e.opts, e.audit]), [
        ["setgid", "denied", 6, false],
        ["setuid", "denied", 6, false],
      ]);
    }
    assert.deepEqual(await _recommendedAsNobody(mode, [bin, "1"], 1, "setgid(1) fails"), ["CAP_SETGID"]);
    // Asked of a process with no root id, setgid(0) is how a program checks that it cannot get root's ids.
    const root = await runJson([...mode, "-c", "-u", "nobody", "--", bin, "root"]);
    assert.equal(root.code, 1, "setgid(0) fails");
    const asRoot = summaryOf(root.events).rec;
    assert.deepEqual(asRoot.capabilities, [], mode.join(" "));
    assert.match(asRoot.note as string, /CAP_SETGID \(setgid\(0\), 1×\), refused to a process with no root id/);
  }
});

Deno.test("setuid(0) as a program checks that root's ids cannot be had is named, not recommended: granted, it would stop", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const dir = file.slice(0, file.lastIndexOf("/"));
  const bin = `${dir}/setid_regain`;
  await Deno.copyFile(await fixture("setid_regain"), bin);
  for (const mode of [[], ["--unique"], ["--summary-only"]]) {
    const r = await runJson([...mode, "-c", "-u", "nobody", "--", bin, file]);
    assert.equal(r.code, 1, `the chown was refused (${mode.join(" ")}): ${r.stderr}`);
    const rec = summaryOf(r.events).rec;
    assert.deepEqual(rec.capabilities, ["CAP_CHOWN"], `${mode.join(" ")}: ${JSON.stringify(rec)}`);
    assert.match(rec.note as string, /CAP_SETUID \(setuid\(0\), 1×\), refused to a process with no root id/);
    if (mode.length === 0) {
      // Still shown: a refusal, though not a need.
      const setuid = r.events.filter((e) => e.type === "check" && e.cap_name === "cap_setuid" && e.audit === true);
      assert.deepEqual(setuid.map((e) => [e.syscall_name, e.verdict]), [["setuid", "denied"]]);
    }
  }
  // The recommendation, applied, is enough; CAP_SETUID too would stop the program.
  const asNobody = async (caps: string) => {
    assert.ok((await new Deno.Command("setcap", { args: [caps, bin] }).output()).success);
    const args = ["--reuid=65534", "--regid=65534", "--clear-groups", "--", bin, file];
    return (await new Deno.Command("setpriv", { args, stderr: "null" }).output()).code;
  };
  assert.equal(await asNobody("cap_chown+ep"), 0);
  assert.equal(await asNobody("cap_chown,cap_setuid+ep"), 2);
});

Deno.test("a program refused what its file capabilities give (it drops them) is told that setcap changes nothing", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const dir = file.slice(0, file.lastIndexOf("/"));
  const bin = `${dir}/drop_caps`;
  await Deno.copyFile(await fixture("drop_caps"), bin);
  const recommended = async () => {
    const r = await runJson(["-c", "-u", "nobody", "--", bin, "chown", file]);
    assert.equal(r.code, 1, `the chown was refused: ${r.stderr}`);
    return summaryOf(r.events).rec;
  };
  const first = await recommended();
  assert.deepEqual(first.capabilities, ["CAP_CHOWN"]);
  assert.doesNotMatch(first.note as string, /already has/);
  // The first run's line, applied: the program drops CAP_CHOWN before its chown, and the same line comes again.
  assert.ok((await new Deno.Command("setcap", { args: ["cap_chown+ep", bin] }).output()).success);
  const again = await recommended();
  assert.equal(again.setcap, `setcap cap_chown+ep ${bin}`);
  assert.match(
    again.note as string,
    new RegExp(
      `${bin} already has the capabilities of its setcap line, yet they were refused: .* setcap changes ` +
        "nothing then; grant them as ambient capabilities",
    ),
  );
});

Deno.test("a capability only refused, to processes that exited 0 all the same (cp -p), is said to be one they may do without", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const dir = file.slice(0, file.lastIndexOf("/"));
  await Deno.mkdir(`${dir}/out`, { mode: 0o777 });
  await Deno.chmod(`${dir}/out`, 0o777);
  for (const mode of [[], ["--unique"], ["--summary-only"]]) {
    // cp -p as a user keeps the mode and times, and the owner only if it may: refused CAP_CHOWN, it goes on.
    const cp = await runJson([...mode, "-c", "-u", "nobody", "--", "/usr/bin/cp", "-p", file, `${dir}/out/copy`]);
    assert.equal(cp.code, 0, cp.stderr);
    const rec = summaryOf(cp.events).rec;
    assert.deepEqual(rec.capabilities, ["CAP_CHOWN"], mode.join(" "));
    assert.match(
      rec.note as string,
      /CAP_CHOWN was only refused, to processes that exited 0 all the same \(cp\): the program may do without it/,
    );
    // nice, refused, runs its program all the same: named by the program that was refused, not the one it ran.
    const nice = await runJson([...mode, "-c", "-u", "nobody", "--", "/usr/bin/nice", "-n", "-3", "/bin/true"]);
    assert.equal(nice.code, 0, nice.stderr);
    assert.match(summaryOf(nice.events).rec.note as string, /CAP_SYS_NICE was only refused, .* \(nice\): /);
    // chown itself fails without it: no such word.
    const chown = await runJson([...mode, "-c", "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
    assert.equal(chown.code, 1);
    assert.doesNotMatch(summaryOf(chown.events).rec.note as string, /only refused/, mode.join(" "));
    await Deno.remove(`${dir}/out/copy`);
  }
});

Deno.test("32-bit syscalls are named from the i386 table, and their set-id and capset refusals judged alike", async () => {
  await requireTracing();
  // int 0x80 from a 64-bit program: the kernel runs it as a 32-bit call, numbered from the i386 table.
  const bin = await fixture("int80", ["-O0", "-g", "-static", "-no-pie"]);
  const file = await rootOwnedFile();
  for (const mode of [[], ["--unique"], ["--summary-only"]]) {
    const r = await runJson([...mode, "-v", "-c", "-u", "nobody", "--", bin, file]);
    assert.equal(r.code, 0, `set-id and capset calls succeeded (${mode.join(" ")}): ${r.stderr}`);
    const { caps, rec } = summaryOf(r.events);
    const row = (name: string) => caps.find((c) => c.cap_name === name);
    assert.deepEqual(row("cap_chown")?.syscalls, ["chown32"], mode.join(" "));
    for (
      const [cap, call] of [["cap_setgid", "setgid32"], ["cap_setuid", "setuid32"], ["cap_setpcap", "capset"]] as const
    ) {
      assert.deepEqual([row(cap)?.syscalls, row(cap)?.denied, row(cap)?.noaudit], [[call], 1, 1], `${cap} ${mode}`);
    }
    assert.deepEqual(rec.capabilities, ["CAP_CHOWN"], mode.join(" "));
    if (mode.length === 0) {
      const checks = r.events.filter((e) => e.type === "check" && e.cap_name !== "cap_sys_admin");
      assert.deepEqual(checks.map((e) => [e.cap_name, e.syscall, e.syscall_name, e.syscall_abi, e.audit]), [
        ["cap_chown", 212, "chown32", "i386", true],
        ["cap_setgid", 214, "setgid32", "i386", false],
        ["cap_setuid", 213, "setuid32", "i386", false],
        ["cap_setpcap", 185, "capset", "i386", false],
      ]);
    }
    const root = await runJson([...mode, "-c", "-u", "nobody", "--", bin, file, "root"]);
    assert.equal(root.code, 1, "setgid32(0) fails");
    const rec32 = summaryOf(root.events).rec;
    assert.deepEqual(rec32.capabilities, ["CAP_CHOWN"], mode.join(" "));
    assert.match(rec32.note as string, /CAP_SETGID \(setgid\(0\), 1×\), refused to a process with no root id/);
  }
});

Deno.test("syscalls newer than this machine's headers are named, in both tables", async () => {
  await requireTracing();
  // fchmodat2 (Linux 6.6) on a root-owned file, as nobody: a refused CAP_FOWNER, as a 64-bit call and by int 0x80.
  const bin = await fixture("fchmodat2", ["-O0", "-static", "-no-pie"]);
  const r = await runJson(["-c", "-u", "nobody", "--", bin, await rootOwnedFile()]);
  assert.equal(r.code, 0, r.stderr);
  const checks = r.events.filter((e) => e.type === "check" && e.cap_name === "cap_fowner");
  assert.deepEqual(checks.map((e) => [e.syscall, e.syscall_name, e.syscall_abi, e.verdict]), [
    [452, "fchmodat2", "x86_64", "denied"],
    [452, "fchmodat2", "i386", "denied"],
  ]);
  const fowner = summaryOf(r.events).caps.find((c) => c.cap_name === "cap_fowner");
  assert.deepEqual(fowner?.syscalls, ["fchmodat2"]);
  const text = await runCli(["-u", "nobody", "--", bin, await rootOwnedFile()]);
  assert.equal(text.stderr.match(/"cap_fowner" -> -1 .* syscall=fchmodat2$/gm)?.length, 2, text.stderr);
});

Deno.test("a process cannot forge tracer records through its comm or the path it was run by", async () => {
  await requireTracing();
  const bin = await fixture("inject");
  const top = await Deno.makeTempDir();
  try {
    await Deno.chmod(top, 0o755);
    // Run from a directory whose name holds records; the program's comm holds "\nS begin\nS end".
    const dir = `${top}/a\nS begin\nS end\nX 1 1 0 1\nz`;
    await Deno.mkdir(dir, { mode: 0o755 });
    const path = `${dir}/inject`;
    await Deno.copyFile(bin, path);
    await Deno.chmod(path, 0o755);
    const baseline = `${top}/baseline`;
    await Deno.writeTextFile(baseline, "CAP_CHOWN\n");
    for (const mode of [[], ["--unique"], ["--summary-only"]]) {
      const r = await runJson([...mode, "-c", "--baseline", baseline, "-u", "nobody", "--", path]);
      assert.equal(r.code, 5, `CAP_SETGID is needed and not in the baseline (${mode.join(" ")}): ${r.stderr}`);
      assert.equal(r.events.at(-1)?.message, "Capabilities not in the baseline: CAP_SETGID");
      const { caps, rec } = summaryOf(r.events.slice(0, -1));
      const setgid = caps.find((c) => c.cap_name === "cap_setgid");
      assert.deepEqual([setgid?.denied, setgid?.audited], [5, 5], mode.join(" "));
      assert.deepEqual(rec.capabilities, ["CAP_SETGID"], mode.join(" "));
      if (mode.length > 0) continue;
      assert.deepEqual(r.events.filter((e) => e.type === "exec").map((e) => e.filename), [path]);
      const checks = r.events.filter((e) => e.type === "check" && e.cap_name === "cap_setgid");
      assert.deepEqual(checks.map((e) => e.comm), Array(5).fill("\nS begin\nS end"));
    }
    // The text trace shows them escaped, each check on a line of its own.
    const text = await runCli(["-v", "-u", "nobody", "--", path]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stderr.match(/^.* \\nS begin\\nS end +\d+ opt=4 "cap_setgid" -> -1 /gm)?.length, 5, text.stderr);
    assert.doesNotMatch(text.stderr, /^(S begin|S end|X 1 1 0 1)$/m);
    assert.match(text.stderr, /^\+\+\+ \d+ exec .*\/a\\nS begin\\nS end\\nX 1 1 0 1\\nz\/inject \+\+\+$/m);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("a comm and a file name that are not UTF-8 keep their bytes: \\xNN in text, \\udcNN in NDJSON", async () => {
  await requireTracing();
  await inTempDir(0o777, async (dir) => {
    // Deno cannot name such a file: sh makes it (a copy of nice, refused CAP_SYS_NICE as nobody, which runs its
    // command all the same), and the shell renames itself with bytes 0xff 0xfe, then raises a limit (CAP_SYS_RESOURCE).
    const script = `t=$(printf '${dir}/n\\351'); cp /usr/bin/nice "$t" && "$t" -n -1 /bin/true; rm -f "$t"; ` +
      `printf '\\377\\376x' > /proc/self/comm; ulimit -n 1024; ulimit -n 8192; true`;
    const json = await runJson(["-c", "-u", "nobody", "--", "/bin/sh", "-c", script]);
    assert.equal(json.code, 0, json.stderr);
    const comms = json.events.filter((e) => e.type === "check" && e.cap_name === "cap_sys_resource").map((e) => e.comm);
    assert.deepEqual(comms, ["\udcff\udcfex"]);
    const execs = json.events.filter((e) => e.type === "exec").map((e) => e.filename as string);
    assert.deepEqual(execs.filter((f) => f.startsWith(dir)), [`${dir}/n\udce9`]);
    // Deleted by then: a comment naming it by its bytes, as the shell reads them back.
    assert.match(summaryOf(json.events).rec.setcap as string, new RegExp(`^# \\$'${dir}/n\\\\xe9' `, "m"));
    const text = await runCli(["-v", "-u", "nobody", "--", "/bin/sh", "-c", script]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stderr, /^.* \\xff\\xfex +\d+ opt=0 "cap_sys_resource" -> -1 /m);
    assert.match(text.stderr, new RegExp(`^\\+\\+\\+ \\d+ exec ${dir}/n\\\\xe9 \\+\\+\\+$`, "m"));
  });
});

Deno.test("--baseline passes when nothing new is needed and fails with 5 naming what is", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const list = await Deno.makeTempFile();
  await Deno.writeTextFile(list, "# known needs\ncap_chown\n");
  const ok = await runCli(["--baseline", list, "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  assert.equal(ok.code, 1, "within the baseline: chown's own status");
  await Deno.writeTextFile(list, "CAP_NET_RAW\n");
  const bad = await runCli(["--baseline", list, "-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  assert.equal(bad.code, 5);
  assert.match(bad.stderr, new RegExp(`^captrace: CAP_CHOWN needed, not in baseline ${list}$`, "m"));
  // A previous --json trace works as a baseline too.
  const { events } = await runJson(["-u", "nobody", "--", "/usr/bin/chown", "nobody", file]);
  await Deno.writeTextFile(list, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
  assert.equal((await runCli(["--baseline", list, "-u", "nobody", "--", "/usr/bin/chown", "nobody", file])).code, 1);
  // So does the setcap line a run recommends, pasted.
  const setcap = summaryOf(events).rec.setcap as string;
  assert.equal(setcap, "setcap cap_chown+ep /usr/bin/chown");
  await Deno.writeTextFile(list, `${setcap}\n`);
  assert.equal((await runCli(["--baseline", list, "-u", "nobody", "--", "/usr/bin/chown", "nobody", file])).code, 1);
  // The trace may be written over its own baseline: it is read before -o truncates it.
  const again = ["--json", "-o", list, "--baseline", list, "-u", "nobody", "--", "/usr/bin/chown", "nobody", file];
  assert.equal((await runCli(again)).code, 1, "CAP_CHOWN was in the old trace");
  assert.equal((await runCli(again)).code, 1, "and is in the new one, written over it");
  // `-` is standard input, read to its end before the command runs.
  for (const [names, code] of [["CAP_CHOWN", 1], ["CAP_SETUID", 5]] as const) {
    const cli = [Deno.execPath(), ...CLI, "--baseline", "-", "-u", "nobody", "--", "/usr/bin/chown", "nobody", file];
    const piped = await new Deno.Command("sh", {
      args: ["-c", 'n=$1; shift; printf "%s\\n" "$n" | "$@"', "sh", names, ...cli],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(piped.stderr);
    assert.equal(piped.code, code, err);
    if (code === 5) assert.match(err, /^captrace: CAP_CHOWN needed, not in baseline -$/m);
  }
  await Deno.writeTextFile(list, "cap_nonsense\n");
  const invalid = await runCli(["--baseline", list, "--", "/bin/true"]);
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /'cap_nonsense' is not a capability name/);
  await Deno.remove(list);
});

Deno.test("-u sets the user's supplementary groups, not just the uid", async () => {
  await requireTracing();
  const user = "captrace-test";
  const exists = await new Deno.Command("id", { args: [user], stdout: "null", stderr: "null" }).output();
  if (!exists.success) {
    const add = await new Deno.Command("useradd", {
      args: ["--no-create-home", "--shell", "/usr/sbin/nologin", "--groups", "audio,video", user],
    }).output();
    assert.ok(add.success, "could create a test user with supplementary groups");
  }
  const expected = new TextDecoder().decode((await new Deno.Command("id", { args: ["-G", user] }).output()).stdout);
  assert.ok(expected.trim().split(" ").length >= 3, "the test user has supplementary groups");
  const out = await new Deno.Command(Deno.execPath(), {
    stdin: "null",
    args: [
      "run",
      "--allow-all",
      new URL("../cli/main.ts", import.meta.url).pathname,
      "-u",
      user,
      "--",
      "/usr/bin/id",
      "-G",
    ],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(out.code, 0);
  assert.equal(new TextDecoder().decode(out.stdout), expected);
});

Deno.test("-u gives the command the user's HOME, USER and LOGNAME and keeps the rest of the environment", async () => {
  await requireTracing();
  const r = await runCli(["-u", "nobody", "--", "/bin/sh", "-c", 'echo "$HOME|$USER|$LOGNAME|$CAPTRACE_TEST_KEPT"'], {
    env: { HOME: "/root", USER: "root", LOGNAME: "root", CAPTRACE_TEST_KEPT: "kept" },
  });
  assert.equal(r.code, 0, r.stderr);
  const home =
    new TextDecoder().decode((await new Deno.Command("getent", { args: ["passwd", "nobody"] }).output()).stdout)
      .split(":")[5];
  assert.equal(r.stdout, `${home}|nobody|nobody|kept\n`);
});

Deno.test("-u runs a program, and keeps a PATH directory, that only an ACL opens to the user", async () => {
  await requireTracing();
  const top = await Deno.makeTempDir(); // root's, 0700: nobody cannot search it but for the ACL below
  try {
    await Deno.mkdir(`${top}/bin`, { mode: 0o700 });
    await Deno.writeTextFile(`${top}/bin/acl-prog`, '#!/bin/sh\necho "ran as $(id -u)"\n', { mode: 0o700 });
    for (const [perm, path] of [["x", top], ["x", `${top}/bin`], ["rx", `${top}/bin/acl-prog`]] as const) {
      const acl = await new Deno.Command("setfacl", { args: ["-m", `u:nobody:${perm}`, path] }).output();
      assert.ok(acl.success, `setfacl (apt-get install acl): ${new TextDecoder().decode(acl.stderr)}`);
    }
    for (const argv of [[`${top}/bin/acl-prog`], ["acl-prog"]]) {
      const r = await runCli(["-o", "/dev/null", "-u", "nobody", "--", ...argv], {
        env: { PATH: `${top}/bin:/usr/bin:/bin` },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "ran as 65534\n");
      assert.doesNotMatch(r.stderr, /PATH leaves out/);
    }
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("-u leaves out of PATH what the user cannot search: no denied lookups recommended for nothing", async () => {
  await requireTracing();
  const top = await Deno.makeTempDir(); // root's, 0700: nobody cannot search it
  try {
    await Deno.mkdir(`${top}/bin`);
    const path = `${top}/bin:/usr/bin:/bin`;
    // The shell looks nice up on PATH, as root's PATH starting in /root/.cargo/bin would have it do.
    const r = await runJson(["-c", "-u", "nobody", "--", "/bin/sh", "-c", 'echo "$PATH"; nice -n 1 true'], {
      env: { PATH: path },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "/usr/bin:/bin\n");
    const { caps, rec } = summaryOf(r.events);
    assert.deepEqual(caps.filter((c) => (c.denied as number) > 0 && (c.audited as number) > 0), []);
    assert.deepEqual(rec.capabilities, []);
    // A program only there is not found for the user, as the launcher's own lookup would not find it: said so.
    await Deno.writeTextFile(`${top}/bin/only-root`, "#!/bin/sh\n");
    await Deno.chmod(`${top}/bin/only-root`, 0o755);
    const hidden = await runCli(["-u", "nobody", "--", "only-root"], { env: { PATH: path } });
    assert.equal(hidden.code, 127, hidden.stderr);
    assert.equal(
      hidden.stderr,
      `captrace: Command 'only-root' was not found on the PATH nobody gets: it is in ${top}/bin, which nobody cannot ` +
        `search\nLet nobody search ${top}/bin (and the directories above it), or give the command's path, or leave ` +
        "out -u\n",
    );
    const text = await runCli(["-u", "nobody", "--", "/bin/true"], { env: { PATH: path } });
    assert.match(
      text.stderr,
      new RegExp(`^captrace: the command's PATH leaves out what nobody cannot search: ${top}/bin$`, "m"),
    );
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("-u leaves out a TMPDIR the user cannot write and root's XDG_RUNTIME_DIR, and keeps usable ones", async () => {
  await requireTracing();
  const top = await Deno.makeTempDir(); // root's, 0700
  try {
    // mktemp, as the user, in root's TMPDIR would be a denied DAC check, recommended for nothing.
    const script = 'mktemp >/dev/null && echo "${TMPDIR-none} ${XDG_RUNTIME_DIR-none}"';
    const r = await runJson(["-c", "-u", "nobody", "--", "/bin/sh", "-c", script], {
      env: { TMPDIR: top, XDG_RUNTIME_DIR: top },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "none none\n");
    assert.deepEqual(summaryOf(r.events).rec.capabilities, [], r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^captrace: the command's environment leaves out what nobody cannot use: TMPDIR=${top} \\(not writable by ` +
          `them\\), XDG_RUNTIME_DIR=${top} \\(not theirs\\)$`,
        "m",
      ),
    );
    // A TMPDIR the user can write stays, without a word.
    await Deno.chmod(top, 0o1777);
    const open = await runCli(["-u", "nobody", "--", "/bin/sh", "-c", script], { env: { TMPDIR: top } });
    assert.equal(open.code, 0, open.stderr);
    assert.match(open.stdout, new RegExp(`^${top} `));
    assert.doesNotMatch(open.stderr, /TMPDIR=/);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("-u from a working directory the user cannot search says so before the refusals it causes", async () => {
  await requireTracing();
  const top = await Deno.makeTempDir(); // root's, 0700: nobody cannot search it
  try {
    const r = await runCli(["-u", "nobody", "--", "/bin/sh", "-c", "ls >/dev/null 2>&1; true"], {
      wrapper: ["env", "-C", top],
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(
        `^captrace: nobody cannot search the working directory ${top}: the command's lookups there are refused, ` +
          `and recommended as needs\nRun captrace from a directory nobody can enter$`,
        "m",
      ),
    );
    // From a directory nobody may enter: nothing to say.
    const ok = await runCli(["-u", "nobody", "--", "/bin/true"], { wrapper: ["env", "-C", "/tmp"] });
    assert.doesNotMatch(ok.stderr, /cannot search the working directory/);
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});

Deno.test("--unique on 300,000 denied checks prints each once and the summary counts all of them", async () => {
  await requireTracing();
  const bin = await fixture("caps_loop");
  const { events, code, stderr } = await runJson(["--unique", "-c", "-u", "nobody", "--", bin, "300000"]);
  assert.equal(code, 0);
  const setgid = events.filter((e) => e.type === "check" && e.cap_name === "cap_setgid");
  assert.equal(setgid.length, 1, "one line for the repeated check");
  assert.equal(setgid[0]!.syscall_name, "setgroups");
  const { caps, totals } = summaryOf(events);
  const row = caps.find((c) => c.cap_name === "cap_setgid");
  assert.equal(row?.denied, 300000, "exact count from the kernel");
  assert.equal(totals.lost, 0);
  assert.ok(!events.some((e) => e.type === "lost"));
  // The hidden checks split into the no-audit ones (all of them, from the kernel's counts) and the repeats.
  const m = /(\d+) hidden \((\d+) no-audit, (\d+) repeats\)/.exec(stderr);
  assert.ok(m, stderr);
  const noaudit = caps.reduce((n, c) => n + (c.noaudit as number), 0);
  assert.ok(noaudit > 0, "the loader's memory checks are no-audit");
  assert.deepEqual([Number(m[1]), Number(m[2]), Number(m[3])], [totals.hidden, noaudit, totals.hidden - noaudit]);
  assert.ok(totals.hidden - noaudit >= 299999, "the setgroups checks after the first are repeats");
});

Deno.test("a kernel map too small for every key is reported, with the counts it could not keep and a size that holds them", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  // 1,100 chown processes as nobody: each pid is a key of its own, more than the 1,024 the map holds. Then nice, whose
  // refused CAP_SYS_NICE finds the map full.
  const loop = `i=0; while [ $i -lt 1100 ]; do /usr/bin/chown nobody ${file} 2>/dev/null; i=$((i+1)); done; ` +
    "/usr/bin/nice -n -5 /bin/true 2>/dev/null";
  const { events, code, stderr } = await runJson(["--map-keys", "1024", "-u", "nobody", "--", "/bin/sh", "-c", loop]);
  assert.equal(code, 0);
  const { caps, rec, totals } = summaryOf(events);
  assert.ok(totals.unsummarized > 0, `a full map was reported: ${JSON.stringify(totals)}`);
  const counted = caps.reduce((sum, c) => sum + (c.checks as number), 0);
  assert.equal(counted + totals.unsummarized, totals.seen);
  assert.ok(!caps.some((c) => c.cap_name === "cap_sys_nice"), "nice's check is not among the counts");
  assert.ok(events.some((e) => e.type === "check" && e.cap_name === "cap_sys_nice"), "but the trace shows it");
  // The recommendation has it from the trace, as nice's.
  assert.deepEqual(rec.capabilities, ["CAP_CHOWN", "CAP_SYS_NICE"]);
  assert.match(rec.setcap as string, /^setcap cap_sys_nice\+ep \/usr\/bin\/nice$/m);
  const advice =
    /map of exact counts was full: \d+ checks are missing from the summary's counts \(the recommendation adds the capabilities the trace showed\)\nRun again with --map-keys (\d+)\n/
      .exec(stderr);
  assert.ok(advice, stderr);
  assert.match(stderr, /, \d+ missing from the summary;/);
  // The advice is enough: run again with it, every check is counted.
  const again = await runJson(["--map-keys", advice[1]!, "-u", "nobody", "--", "/bin/sh", "-c", loop]);
  assert.equal(again.code, 0);
  const counts = summaryOf(again.events);
  assert.equal(counts.totals.unsummarized, 0, `with --map-keys ${advice[1]}: ${JSON.stringify(counts.totals)}`);
  assert.deepEqual(counts.rec.capabilities, ["CAP_CHOWN", "CAP_SYS_NICE"]);
  assert.doesNotMatch(again.stderr, /map of exact counts was full/);
});

Deno.test("--summary-only prints no check but the summary counts all 300,000 denied checks", async () => {
  await requireTracing();
  const bin = await fixture("caps_loop");
  const { events, code, stderr } = await runJson(["--summary-only", "-u", "nobody", "--", bin, "300000"]);
  assert.equal(code, 0);
  assert.equal(events.filter((e) => e.type === "check").length, 0);
  const { caps, totals } = summaryOf(events);
  assert.equal(caps.find((c) => c.cap_name === "cap_setgid")?.denied, 300000, "exact count from the kernel");
  assert.equal(totals.shown, 0);
  assert.equal(totals.lost, 0);
  assert.equal(totals.hidden, totals.seen);
  assert.match(stderr, /, 0 shown, \d+ hidden \(--summary-only\), 0 lost/);
});

Deno.test("--summary-only charges a forked child that executes nothing to its parent's program", async () => {
  await requireTracing();
  const bin = await fixture("fork_chown");
  const file = await rootOwnedFile();
  // sh runs the program as a child of its own; the program's child makes the check.
  const { events, code } = await runJson(["--summary-only", "-u", "nobody", "--", "/bin/sh", "-c", `${bin} ${file}`]);
  assert.equal(code, 3, "the child's chown was refused");
  const programs = summaryOf(events).rec.programs as { path: string; capabilities: string[] }[];
  assert.deepEqual(programs.map((p) => [p.path, p.capabilities]), [[bin, ["CAP_CHOWN"]]]);
});

Deno.test("a daemon's child, reparented before its first check, is charged to the daemon's program", async () => {
  await requireTracing();
  const bin = await fixture("daemon_chown");
  const file = await rootOwnedFile();
  for (const mode of [[], ["--summary-only"]]) {
    // Its check names init (or a subreaper) as its parent; its fork record names the daemon's.
    const { events, code } = await runJson([...mode, "-u", "nobody", "--", "/bin/sh", "-c", `${bin} ${file}`]);
    assert.equal(code, 0);
    const programs = summaryOf(events).rec.programs as { path: string; capabilities: string[] }[];
    assert.deepEqual(programs.map((p) => [p.path, p.capabilities]), [[bin, ["CAP_CHOWN"]]], mode.join(" "));
  }
});

Deno.test("checks allowed in a user namespace the program made are counted but not recommended", async () => {
  await requireTracing();
  for (const mode of [["-c"], ["--summary-only"]]) {
    const { events, code } = await runJson([...mode, "-u", "nobody", "--", "/usr/bin/unshare", "-Ur", "/bin/true"]);
    assert.equal(code, 0, "nobody may make a user namespace of its own here");
    const { caps, rec } = summaryOf(events);
    const admin = caps.find((c) => c.cap_name === "cap_sys_admin");
    assert.ok((admin?.allowed as number) > 0, "unshare's writes of its id maps are allowed CAP_SYS_ADMIN checks");
    assert.deepEqual(rec.capabilities, [], "they need no capability outside the namespace");
    assert.match(rec.note as string, / allowed to processes in a user namespace other than the initial one, or /);
  }
});

Deno.test("a check allowed for owning the namespace needs no capability; one no namespace can pass is not advised", async () => {
  await requireTracing();
  // unshare -Un: the network namespace's CAP_SYS_ADMIN check is against the user namespace nobody just made, from the
  // initial one, and allowed because nobody owns it. nice -n -1 inside one: refused against the initial namespace,
  // which nothing granted to the program could pass.
  const cases: [string[], string[], RegExp][] = [
    [["/usr/bin/unshare", "-Un", "/bin/true"], [], / allowed to processes in a user namespace other than the init/],
    [["/usr/bin/unshare", "-Ur", "/usr/bin/nice", "-n", "-1", "/bin/true"], [], /\(CAP_SYS_NICE\) was refused to /],
  ];
  for (const [argv, want, note] of cases) {
    for (const mode of [["-c"], ["--summary-only"]]) {
      const { events, code } = await runJson([...mode, "-u", "nobody", "--", ...argv]);
      assert.equal(code, 0, argv.join(" "));
      const { rec } = summaryOf(events);
      assert.deepEqual(rec.capabilities, want, `${argv.join(" ")} ${mode.join(" ")}`);
      assert.match(rec.note as string, note);
    }
  }
});

Deno.test("root's check against a namespace root made counts: run as a user, the program would need it", async () => {
  await requireTracing();
  // Root owns the namespaces of every root process (a rootful container's): its passing there says nothing of what
  // the program needs as another user, whose setns into them needs CAP_SYS_ADMIN.
  const { events, code } = await runJson(["-c", "--", "/usr/bin/unshare", "-Un", "/bin/true"]);
  assert.equal(code, 0);
  assert.deepEqual(summaryOf(events).rec.capabilities, ["CAP_SYS_ADMIN"]);
});

Deno.test("a fallback pair the kernel leaves out of its counts is not recommended from the stream either", async () => {
  await requireTracing();
  const paranoid = Number((await Deno.readTextFile("/proc/sys/kernel/perf_event_paranoid")).trim());
  assert.ok(
    paranoid === 1 || paranoid === 2,
    `needs perf_event_paranoid 1 or 2 (CAP_PERFMON, then CAP_SYS_ADMIN); ${paranoid}`,
  );
  const perf = await fixture("perf_cpu");
  // In a user namespace of its own, a CPU-wide counter is refused CAP_PERFMON and CAP_SYS_ADMIN against the initial
  // namespace, which no capability granted passes; and unshare -Un's CAP_SYS_ADMIN, allowed to the owner of the
  // namespace, does not make the fallback's CAP_SYS_ADMIN one needed on its own.
  const cases: [string[], string[], number][] = [
    [["/usr/bin/unshare", "-Ur", perf], [], 1],
    [["/bin/sh", "-c", `/usr/bin/unshare -Un /bin/true; ${perf}`], ["CAP_PERFMON"], 1],
  ];
  for (const [argv, want, exit] of cases) {
    for (const mode of [["-c"], ["--unique"], ["--summary-only"]]) {
      const { events, code } = await runJson([...mode, "-u", "nobody", "--", ...argv]);
      assert.equal(code, exit, argv.join(" "));
      assert.deepEqual(summaryOf(events).rec.capabilities, want, `${argv.join(" ")} ${mode.join(" ")}`);
    }
  }
});

Deno.test("root entering another user namespace needs CAP_SYS_ADMIN of its own: that check counts", async () => {
  await requireTracing();
  // A process of nobody's in a user namespace of its own; root joins it with setns, a check against that namespace
  // allowed only because root holds CAP_SYS_ADMIN in the initial one.
  const inner = new Deno.Command("setpriv", {
    args: ["--reuid=65534", "--regid=65534", "--clear-groups", "--", "unshare", "-U", "sleep", "30"],
  }).spawn();
  try {
    for (let i = 0; i < 100; i++) {
      const ns = await Deno.readLink(`/proc/${inner.pid}/ns/user`).catch(() => "");
      if (ns && ns !== "user:[4026531837]") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const { events, code } = await runJson([
      "-c",
      "--",
      "/usr/bin/nsenter",
      "-U",
      "--preserve-credentials",
      "-t",
      String(inner.pid),
      "/bin/true",
    ]);
    assert.equal(code, 0);
    const setns = events.find((e) =>
      e.type === "check" && e.cap_name === "cap_sys_admin" && e.syscall_name === "setns"
    );
    assert.ok(setns && setns.target_userns !== 4026531837 && setns.userns === 4026531837, JSON.stringify(setns));
    assert.ok((summaryOf(events).rec.capabilities as string[]).includes("CAP_SYS_ADMIN"));
  } finally {
    inner.kill("SIGKILL");
    await inner.status;
  }
});
