/** --cgroup on the real kernel: the processes of a cgroup v2 and of the cgroups below it, and no others. */

import assert from "node:assert/strict";
import { cgroup2Mounts } from "../cli/cgroup.ts";
import { fixture, requireTracing, rootOwnedFile, runCli, traceInBackground } from "./helpers.ts";

/**
 * A cgroup v2 mount of the whole hierarchy: this machine's, or one made for the test in a directory of its own
 * (`done` unmounts it).
 */
async function cgroup2(): Promise<{ mount: string; done: () => Promise<void> }> {
  const mounts = cgroup2Mounts(await Deno.readTextFile("/proc/self/mountinfo"));
  if (mounts.length > 0) return { mount: mounts[0]!, done: async () => {} };
  const dir = await Deno.makeTempDir({ prefix: "captrace-cgroup2-" });
  const mount = await new Deno.Command("mount", { args: ["-t", "cgroup2", "none", dir] }).output();
  assert.ok(mount.success, `no cgroup v2 here, and mounting one failed: ${new TextDecoder().decode(mount.stderr)}`);
  return {
    mount: dir,
    done: async () => {
      await new Deno.Command("umount", { args: [dir] }).output();
      await Deno.remove(dir);
    },
  };
}

/** A cgroup made for a test under the cgroup2 mount, `suffix` ending its name; `remove` takes it and the mount away. */
async function testCgroup(suffix = ""): Promise<{ name: string; top: string; remove: () => Promise<void> }> {
  const { mount, done } = await cgroup2();
  const name = `captrace-test-${crypto.randomUUID().slice(0, 8)}${suffix}`;
  const top = `${mount}/${name}`;
  await Deno.mkdir(top);
  return {
    name,
    top,
    remove: async () => {
      await Deno.remove(top).catch(() => {});
      await done();
    },
  };
}

/** `argv` run as nobody in the cgroup at `dir` (none: where the test runs), through a shell that moves itself there. */
function nobodyIn(dir: string | null, argv: string[], options: Deno.CommandOptions = {}): Deno.Command {
  const nobody = 'exec setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"';
  const script = dir === null ? nobody : `echo $$ > "$0/cgroup.procs" && ${nobody}`;
  return new Deno.Command("sh", { ...options, args: ["-c", script, dir ?? "-", ...argv] });
}

/** Runs a denied chown of `file` as nobody in the cgroup at `dir` (none: where the test runs); its pid. */
async function chownIn(dir: string | null, file: string): Promise<number> {
  const p = nobodyIn(dir, ["/usr/bin/chown", "65534", file], { stderr: "null" }).spawn();
  const status = await p.status;
  assert.equal(status.code, 1, `chown as nobody ${dir ?? "outside"} ran and was refused`);
  return p.pid;
}

/** Waits until `done` says so, 5 s at most: the events may still be in flight. */
async function until(done: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await done()); i++) await new Promise((r) => setTimeout(r, 50));
}

Deno.test("--cgroup traces the processes of a cgroup and of those below it, made before or during the trace, only", async () => {
  await requireTracing();
  // A path longer than one string literal of the kernel program: cgroups made below it are found by comparing their
  // paths to it in pieces.
  const { name, top, remove } = await testCgroup(`-${"n".repeat(60)}`);
  // Made during the trace: one deep below it, and a sibling whose name only begins like the traced one's.
  const during = `${top}/during/${"n".repeat(100)}`;
  const sibling = `${top}-sibling`;
  const made = [`${top}/before`];
  const file = await rootOwnedFile();
  try {
    await Deno.mkdir(made[0]!);
    const t = await traceInBackground(["-c", "--cgroup", name]);
    assert.equal(t.ready.mode, "system");
    assert.equal(t.ready.cgroup, `/${name}`);
    await Deno.mkdir(during, { recursive: true });
    await Deno.mkdir(sibling);
    made.push(`${top}/during`, during, sibling);
    const traced = [await chownIn(top, file), await chownIn(`${top}/before`, file), await chownIn(during, file)];
    const untraced = [await chownIn(sibling, file), await chownIn(null, file)];
    const denied = (events: Record<string, unknown>[]) =>
      events.filter((e) => e.type === "check" && e.cap_name === "cap_chown" && e.verdict === "denied")
        .map((e) => e.pid as number);
    // Wait for the traced ones (the others ran before the last of them).
    await until(async () => denied(await t.events()).length >= traced.length);
    await new Promise((r) => setTimeout(r, 200));
    const events = await t.stop();
    assert.deepEqual(denied(events).sort(), [...traced].sort(), `traced ${traced}, not ${untraced}`);
    const pids = new Set(events.filter((e) => e.type === "check").map((e) => e.pid));
    for (const pid of untraced) assert.ok(!pids.has(pid), `${pid} is outside the cgroup`);
    const summary = events.at(-1) as {
      type: string;
      capabilities: { cap_name: string; denied: number }[];
      recommendation: { capabilities: string[] };
    };
    assert.equal(summary.type, "summary");
    assert.equal(summary.capabilities.find((c) => c.cap_name === "cap_chown")?.denied, traced.length);
    assert.ok(summary.recommendation.capabilities.includes("CAP_CHOWN"));
  } finally {
    for (const d of made.reverse()) await Deno.remove(d).catch(() => {});
    await remove();
  }
});

Deno.test("--cgroup's setcap lines name each program: by its exec, or running since before, by its file", async () => {
  await requireTracing();
  const { name, top, remove } = await testCgroup();
  const bin = await fixture("wait_signal");
  const file = await rootOwnedFile();
  // A service's long-running process, as nobody: each SIGUSR1 makes it call nice(-1), a denied cap_sys_nice.
  const daemon = nobodyIn(top, [bin], { stdout: "piped" }).spawn();
  const lines = daemon.stdout.pipeThrough(new TextDecoderStream()).getReader();
  try {
    assert.match((await lines.read()).value ?? "", /^ready \d+\n$/);
    for (const mode of [[], ["--summary-only"]]) {
      // A file of its own each time: the last one's ready event is no sign of this one's.
      const t = await traceInBackground(["-c", ...mode, "--cgroup", name]);
      daemon.kill("SIGUSR1");
      assert.equal((await lines.read()).value, "poked\n");
      await chownIn(top, file);
      await new Promise((r) => setTimeout(r, 300));
      const summary = (await t.stop()).at(-1) as {
        recommendation: { setcap: string; programs: { path: string; placed: boolean; capabilities: string[] }[] };
      };
      const { setcap, programs } = summary.recommendation;
      const what = `${mode.join(" ") || "default"}: ${setcap}`;
      // Running when captrace looked: its own file.
      assert.ok(setcap.split("\n").includes(`setcap cap_sys_nice+ep ${bin}`), what);
      // chown, started by setpriv's exec, named by its exec record: only its own check, not setpriv's (CAP_SETUID,
      // CAP_SETPCAP, CAP_DAC_READ_SEARCH for its exec), which are setpriv's.
      const chown = programs.find((p) => p.path === Deno.realPathSync("/usr/bin/chown"));
      assert.deepEqual(chown?.capabilities, ["CAP_CHOWN"], what);
      const setpriv = programs.find((p) => p.path === Deno.realPathSync("/usr/bin/setpriv"));
      assert.ok(setpriv?.capabilities.includes("CAP_SETUID") && !setpriv.capabilities.includes("CAP_CHOWN"), what);
    }
  } finally {
    lines.releaseLock();
    daemon.kill("SIGTERM");
    await daemon.status;
    await remove();
  }
});

Deno.test("--cgroup: a thread that names itself, in a process that then exits, does not rename its program", async () => {
  await requireTracing();
  const { name, top, remove } = await testCgroup();
  const bin = await fixture("named_thread");
  const file = await rootOwnedFile();
  try {
    const t = await traceInBackground(["-c", "--cgroup", name]);
    assert.ok((await nobodyIn(top, [bin, file]).output()).success);
    await new Promise((r) => setTimeout(r, 300));
    const events = await t.stop();
    const comms = events.filter((e) => e.type === "check" && e.cap_name === "cap_chown").map((e) => e.comm);
    assert.deepEqual(comms, ["named_thread", "worker-x"], "both checks, the second from the named thread");
    const { programs } = (events.at(-1) as { recommendation: { programs: { path: string; capabilities: string[] }[] } })
      .recommendation;
    const chown = programs.filter((p) => p.capabilities.includes("CAP_CHOWN")).map((p) => p.path);
    assert.deepEqual(chown, [bin]);
  } finally {
    await remove();
  }
});

Deno.test("--cgroup charges a fork gone before it was looked up to its parent's program", async () => {
  await requireTracing();
  const { top, remove } = await testCgroup();
  const bin = await fixture("fork_chown");
  const file = await rootOwnedFile();
  try {
    const t = await traceInBackground(["-c", "--cgroup", top]);
    // The parent, in the cgroup before the trace saw it execute, waits a second after its child's check and exit.
    const run = nobodyIn(top, [bin, file, "1"]).output();
    const chowned = (events: Record<string, unknown>[]) => events.some((e) => e.cap_name === "cap_chown");
    await until(async () => chowned(await t.events()));
    const events = await t.stop();
    assert.ok(chowned(events), "the child's chown was traced");
    await run;
    const { programs } = (events.at(-1) as {
      recommendation: { programs: { path: string; capabilities: string[] }[] };
    }).recommendation;
    assert.deepEqual(programs.find((p) => p.capabilities.includes("CAP_CHOWN"))?.path, bin);
  } finally {
    await remove();
  }
});

Deno.test("--cgroup gives no executed program the checks its process made before, in every mode", async () => {
  await requireTracing();
  const { top, remove } = await testCgroup();
  const file = await rootOwnedFile();
  const chown = Deno.realPathSync("/usr/bin/chown");
  try {
    for (const mode of [[], ["--unique"], ["--summary-only"]]) {
      // A shell running since before the trace forks a subshell that raises its hard limit (a refused
      // CAP_SYS_RESOURCE), then executes chown: the daemon's fork, drop and exec.
      const inner = `read go; (ulimit -n 50; ulimit -Hn 90; exec /usr/bin/chown 65534 "$0") 2>/dev/null; exit 0`;
      const shell = nobodyIn(top, ["/bin/sh", "-c", inner, file], { stdin: "piped" }).spawn();
      const t = await traceInBackground(["-c", ...mode, "--cgroup", top]);
      const w = shell.stdin.getWriter();
      await w.write(new TextEncoder().encode("go\n"));
      await w.close();
      assert.ok((await shell.status).success);
      await new Promise((r) => setTimeout(r, 300));
      const { recommendation } = (await t.stop()).at(-1) as {
        recommendation: { capabilities: string[]; programs: { path: string; capabilities: string[] }[] };
      };
      const what = `${mode.join(" ") || "default"}: ${JSON.stringify(recommendation.programs)}`;
      assert.ok(recommendation.capabilities.includes("CAP_SYS_RESOURCE"), what);
      assert.deepEqual(recommendation.programs.find((p) => p.path === chown)?.capabilities, ["CAP_CHOWN"], what);
    }
  } finally {
    await remove();
  }
});

Deno.test("--cgroup follows its cgroup removed and made again, as a service's restart does", async () => {
  await requireTracing();
  const { name, top, remove } = await testCgroup(`-${"r".repeat(60)}`);
  const file = await rootOwnedFile();
  try {
    const t = await traceInBackground(["--cgroup", name]);
    const before = await chownIn(top, file);
    await Deno.remove(top);
    // Made again, and a look-alike beside it (the same name and more), which is not the traced one.
    await Deno.mkdir(top);
    await Deno.mkdir(`${top}x`);
    const after = await chownIn(top, file);
    const other = await chownIn(`${top}x`, file);
    await Deno.remove(`${top}x`);
    const chowns = (events: Record<string, unknown>[]) => events.filter((e) => e.cap_name === "cap_chown");
    await until(async () => chowns(await t.events()).length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(chowns(await t.stop()).map((e) => e.pid), [before, after], `not ${other}`);
  } finally {
    await remove();
  }
});

Deno.test("--cgroup with more cgroups below it than the kernel's map has room for is refused", async () => {
  await requireTracing();
  const { top, remove } = await testCgroup();
  const below = Array.from({ length: 1024 }, (_, i) => `${top}/c${i}`);
  try {
    for (const d of below) await Deno.mkdir(d);
    const r = await runCli(["--map-keys", "1024", "--cgroup", top]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `captrace: The cgroup '${top}' and those below it are more than 1024 cgroups\n` +
        "Raise --map-keys, trace a cgroup lower in the hierarchy, or the whole system\n",
    );
  } finally {
    for (const d of below) await Deno.remove(d).catch(() => {});
    await remove();
  }
});

Deno.test("--cgroup / is every process, with no filter", async () => {
  await requireTracing();
  const file = await rootOwnedFile();
  const t = await traceInBackground(["--cgroup", "/"]);
  assert.deepEqual([t.ready.cgroup, t.ready.limits], ["/", ["audit flags inferred from the kernel caller"]]);
  const pid = await chownIn(null, file);
  await until(async () => (await t.events()).some((e) => e.pid === pid));
  assert.ok((await t.stop()).some((e) => e.pid === pid && e.cap_name === "cap_chown"));
});

Deno.test("--cgroup names what is not a cgroup: exit 4 with a hint; exit 3 with no cgroup v2 mounted", async () => {
  await requireTracing();
  const missing = await runCli(["--cgroup", "captrace-no-such-cgroup"]);
  assert.equal(missing.code, 4);
  assert.match(missing.stderr, /^captrace: No cgroup 'captrace-no-such-cgroup'\nGive its path as the '0::' line /);
  // What the terminal would take for a control sequence is shown escaped.
  const escaped = await runCli(["--cgroup", "x\x1b[31m"]);
  assert.match(escaped.stderr, /^captrace: No cgroup 'x\\x1b\[31m'\n/);
  const out = await runCli(["--cgroup", "a/../.."]);
  assert.equal(out.code, 2);
  assert.equal(out.stderr, "captrace: Invalid cgroup 'a/../..'\nGive the path without '.' or '..' parts\n");
  // In a mount namespace of its own without cgroup v2 mounts.
  const unmount =
    `for m in $(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \\([^ ]*\\) .* - cgroup2 .*/\\1/p' /proc/self/mountinfo); ` +
    'do umount -l "$m" || exit 9; done; exec "$@"';
  const none = await runCli(["--cgroup", "x"], {
    wrapper: ["unshare", "--mount", "--propagation", "private", "sh", "-c", unmount, "sh"],
  });
  assert.equal(none.code, 3, none.stderr);
  assert.match(none.stderr, /^captrace: No cgroup v2 hierarchy is mounted here\n/);
});
