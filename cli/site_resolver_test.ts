/** Tests of the --sites adapter on synthetic events and a real gcc build: caching, batching, reasons. */

import assert from "node:assert/strict";
import { Reason, SiteResolver } from "./site_resolver.ts";
import { parseOptions } from "./args.ts";
import type { Output } from "../shared/correlator.ts";
import type { CheckEvent, Event } from "../shared/event.ts";

const SOURCE = new URL("../test/fixtures/site_setuid.c", import.meta.url).pathname;
/** A process id that does not exist (above the kernel's pid_max limit). */
const GONE = 4_194_400;

async function _build(): Promise<{ dir: string; bin: string; link: bigint; line: number }> {
  const dir = await Deno.makeTempDir({ prefix: "captrace-resolver-" });
  const bin = `${dir}/prog`;
  const cc = await new Deno.Command("gcc", { args: ["-g", "-O0", "-o", bin, SOURCE], stderr: "piped" }).output();
  if (!cc.success) throw new Error(`gcc failed: ${new TextDecoder().decode(cc.stderr)}`);
  // The return address after `call setuid@plt` is the instruction that follows it.
  const dis = new TextDecoder().decode((await new Deno.Command("objdump", { args: ["-d", bin] }).output()).stdout);
  const lines = dis.split("\n");
  const i = lines.findIndex((l) => /call.*<setuid@plt>/.test(l));
  const next = /^\s*([0-9a-f]+):/.exec(lines[i + 1] ?? "");
  if (i < 0 || !next) throw new Error("No call to setuid in the build");
  const line = Deno.readTextFileSync(SOURCE).split("\n").findIndex((l) => l.includes("/* site: setuid */")) + 1;
  return { dir, bin, link: BigInt("0x" + next[1]), line };
}

function check(pid: number, over: Partial<CheckEvent> = {}): CheckEvent {
  return {
    v: 1,
    type: "check",
    ts: 2_000,
    time: "2026-01-01T00:00:00.000Z",
    pid,
    tid: pid,
    ppid: 1,
    uid: 65534,
    euid: 65534,
    comm: "prog",
    cap: 7,
    cap_name: "cap_setuid",
    ret: -1,
    verdict: "denied",
    errno: "EPERM",
    syscall: 105,
    syscall_name: "setuid",
    syscall_abi: "x86_64",
    opts: 4,
    audit: true,
    insetid: true,
    opts_source: "inferred",
    userns: null,
    target_userns: null,
    site: null,
    site_reason: null,
    script: null,
    ...over,
  };
}

const exec = (pid: number, filename: string, ts = 1_000): Event => ({
  v: 1,
  type: "exec",
  ts,
  pid,
  ppid: 1,
  comm: "prog",
  filename,
});

// A PIE loaded at this base: start_code is base + the code segment's p_vaddr (0x1000 with gcc here).
const BASE = 0x5566aa000000n;

Deno.test("site resolver: a PIE's return address resolves to file:line, then from the cache synchronously", async () => {
  const { dir, bin, link, line } = await _build();
  try {
    const r = new SiteResolver(parseOptions(["--sites", "-p", "1"]));
    const raw = { ra: BASE + link, cs: BASE + 0x1000n };
    const first = check(GONE);
    await r.annotate([{ event: exec(GONE, bin) }, { event: first, raw }]);
    assert.deepEqual(first.site, {
      binary: bin,
      address: `0x${link.toString(16)}`,
      function: "main",
      file: SOURCE,
      line,
    });
    assert.equal(first.site_reason, null);

    const again = check(GONE, { ts: 3_000 });
    const p = r.annotate([{ event: again, raw }]);
    assert.equal(again.site?.line, line, "a known process and address are filled before the promise settles");
    await p;
    await r.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("site resolver: with --pid, the root's program is read at the start, for checks it does not outlive", async () => {
  // A program that waits: wait_signal, built here, whose nice(-1) call is the check.
  const dir = await Deno.makeTempDir({ prefix: "captrace-resolver-" });
  const source = new URL("../test/fixtures/wait_signal.c", import.meta.url).pathname;
  const bin = `${dir}/waiter`;
  const cc = await new Deno.Command("gcc", { args: ["-g", "-O0", "-o", bin, source], stderr: "piped" }).output();
  assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
  const dis = new TextDecoder().decode((await new Deno.Command("objdump", { args: ["-d", bin] }).output()).stdout)
    .split("\n");
  const at = dis.findIndex((l) => /call.*<nice@plt>/.test(l));
  const link = BigInt(`0x${/^\s*([0-9a-f]+):/.exec(dis[at + 1] ?? "")![1]}`);
  const line = Deno.readTextFileSync(source).split("\n").findIndex((l) => l.includes("nice(-1)")) + 1;
  const child = new Deno.Command(bin, { stdout: "piped" }).spawn();
  try {
    const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assert.match((await out.read()).value ?? "", /^ready /);
    out.releaseLock();
    const r = new SiteResolver(parseOptions(["--sites", "-p", String(child.pid)]));
    const ready: Event = {
      v: 1,
      type: "ready",
      probe: "tracepoint",
      kernel: "",
      bpftrace: "",
      mode: "pid",
      pid: child.pid,
      cgroup: null,
      limits: [],
    };
    await r.annotate([{ event: ready }]);
    await r.close(); // the lookup the ready event started, while the process runs
    // Gone before its check is read, as a process that makes one and exits is.
    child.kill("SIGKILL");
    await child.status;
    const e = check(child.pid, { comm: "waiter", cap: 23, cap_name: "cap_sys_nice" });
    await r.annotate([{ event: e, raw: { ra: BASE + link, cs: BASE + 0x1000n } }]);
    await r.close();
    assert.equal(e.site_reason, null);
    assert.deepEqual([e.site?.binary, e.site?.line], [bin, line]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("site resolver: reasons for no address, no program code and a vanished relative exec", async () => {
  const { dir, bin, link } = await _build();
  try {
    const r = new SiteResolver(parseOptions(["--sites", "-p", "1"]));
    const none = check(GONE);
    const outside = check(GONE);
    const relative = check(GONE + 1);
    const batch: Output[] = [
      { event: exec(GONE, bin) },
      { event: exec(GONE + 1, "./prog") },
      { event: none },
      { event: outside, raw: { ra: 0n, cs: BASE + 0x1000n } },
      { event: relative, raw: { ra: BASE + link, cs: BASE + 0x1000n } },
    ];
    await r.annotate(batch);
    assert.equal(none.site_reason, Reason.notCaptured);
    assert.equal(outside.site, null);
    assert.match(outside.site_reason ?? "", /^address not in program code/);
    assert.equal(relative.site, null);
    assert.match(relative.site_reason ?? "", /^executable not found \(relative path \.\/prog/);
    await r.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("site resolver: a #! script's check names the script and the interpreter, not a guessed line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "captrace-resolver-" });
  try {
    await Deno.writeTextFile(`${dir}/run.sh`, "#!/bin/sh\ntrue\n");
    const r = new SiteResolver(parseOptions(["--sites", "-p", "1"]));
    const c = check(GONE, { comm: "run.sh" });
    await r.annotate([{ event: exec(GONE, `${dir}/run.sh`) }, { event: c, raw: { ra: 0x1234n, cs: 0x1000n } }]);
    assert.equal(c.site, null);
    assert.equal(c.script, `${dir}/run.sh`);
    assert.equal(c.site_reason, "interpreter sh: the line in the script is not known");
    await r.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("site resolver: no-audit checks are not resolved unless shown (-v)", async () => {
  const r = new SiteResolver(parseOptions(["--sites", "-p", "1"]));
  const c = check(GONE, { audit: false });
  await r.annotate([{ event: c, raw: { ra: 0x1234n, cs: 0x1000n } }]);
  assert.equal(c.site_reason, null);
  await r.close();
});

Deno.test("an interpreter that a script's process runs next is given the script only when its argv is gone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "captrace-resolver-" });
  // A live `sh -c ...`: inline code, no script, whatever the process ran before.
  const live = new Deno.Command("/bin/sh", { args: ["-c", "sleep 30; true"] }).spawn();
  try {
    const run = `${dir}/run.sh`;
    const viaEnv = `${dir}/env.sh`;
    await Deno.writeTextFile(run, "#!/bin/sh\ntrue\n");
    await Deno.writeTextFile(viaEnv, "#!/usr/bin/env sh\ntrue\n");
    const sh = Deno.realPathSync("/bin/sh");
    const exec = (pid: number, filename: string, ts: number): Output => ({
      event: { v: 1, type: "exec", ts, pid, ppid: 1, comm: "sh", filename } as Event,
    });
    const traced = async (pid: number, script: string, ran = sh) => {
      const c = check(pid, { comm: "sh" });
      const r = new SiteResolver(parseOptions(["--sites", "-p", "1"]));
      await r.annotate([exec(pid, script, 1_000), exec(pid, ran, 1_500), {
        event: c,
        raw: { ra: 0x1234n, cs: 0x1000n },
      }]);
      await r.close();
      return c.script;
    };
    await new Promise((r) => setTimeout(r, 100)); // its exec of sh -c done
    assert.equal(await traced(live.pid, run), null, "sh -c runs no script");
    // Gone: env ran the shell for the script (env was gone too: the #! line names it), which runs that script.
    assert.equal(await traced(GONE, viaEnv), viaEnv);
    // So too when captrace's own PATH finds another file by that name first (a pyenv shim in root's PATH): env, on
    // the command's PATH, ran the one the record names.
    await Deno.mkdir(`${dir}/shims`);
    await Deno.writeTextFile(`${dir}/shims/sh`, '#!/bin/sh\nexec /bin/sh "$@"\n', { mode: 0o755 });
    const path = Deno.env.get("PATH") ?? "";
    Deno.env.set("PATH", `${dir}/shims:${path}`);
    try {
      assert.equal(await traced(GONE, viaEnv, "/bin/sh"), viaEnv);
    } finally {
      Deno.env.set("PATH", path);
    }
  } finally {
    live.kill();
    await live.status;
    await Deno.remove(dir, { recursive: true });
  }
});
