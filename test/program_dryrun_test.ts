/** The generated programs in the real bpftrace: every variant must compile (`-d` dry run), the kprobe ones included
 * (this kernel has no kprobes to attach them to, so this is where their syntax and types are checked), and the fields
 * read at BTF offsets must hold what the kernel says elsewhere. */

import assert from "node:assert/strict";
import { generateProgram, namesKernelTypes, type ProgramOptions } from "../shared/program.ts";
import { parseBtf, typelessBtf } from "../shared/btf.ts";
import { kernelOffsets } from "../shared/kernel_offsets.ts";
import { requireTracing } from "./helpers.ts";

async function dryRun(program: string, env: Record<string, string> = {}): Promise<{ ok: boolean; errors: string }> {
  const out = await new Deno.Command("bpftrace", {
    args: ["-d", "-e", program],
    stdout: "null",
    stderr: "piped",
    // As captrace runs it: strings of up to 200 bytes.
    env: { BPFTRACE_STRLEN: "200", ...env },
  }).output();
  const errors = new TextDecoder().decode(out.stderr).split("\n")
    .filter((l) => /ERROR|error:/.test(l) && !/RLIMIT_MEMLOCK/.test(l)).join("\n");
  return { ok: out.success, errors };
}

Deno.test("every program variant compiles in bpftrace, with and without BTF offsets", async () => {
  await requireTracing();
  const offsets = kernelOffsets(parseBtf(await Deno.readFile("/sys/kernel/btf/vmlinux")));
  assert.ok(offsets, "this kernel's BTF has every field captrace reads");
  const variants: ProgramOptions[] = [];
  for (const probe of ["tracepoint", "kprobe"] as const) {
    variants.push(
      { probe, mode: "command", rootPid: 4242, launcherExecs: 2, sites: true, sharedPgid: 4200 },
      {
        probe,
        mode: "command",
        rootPid: 4242,
        launcherExecs: 1,
        unique: true,
        offsets,
        controlPid: 7,
        sharedPgid: 4200,
      },
      { probe, mode: "pid", rootPid: 4242, preTracked: [4242, 4243], follow: true, sites: true, offsets },
      { probe, mode: "pid", rootPid: 4242, follow: false, unique: true },
      { probe, mode: "pid", rootPid: 4242, follow: false, unique: true, sites: true, offsets },
      { probe, mode: "system", excludePids: [7], excludeChildrenOf: 7, kprobeOptsArg: "audit", offsets, controlPid: 7 },
      { probe, mode: "pid", rootPid: 4242, follow: false, controlPid: 7 },
      { probe, mode: "system", excludePids: [7], excludeChildrenOf: 7 },
      { probe, mode: "system", excludePids: [7], excludeChildrenOf: 7, summaryOnly: true, offsets, controlPid: 7 },
      { probe, mode: "command", rootPid: 4242, launcherExecs: 1, summaryOnly: true, offsets, controlPid: 7 },
      { probe, mode: "system", excludePids: [7], cgroup: { path: "/a/b", ids: [25, 63] }, offsets, controlPid: 7 },
      {
        probe,
        mode: "system",
        excludePids: [7],
        cgroup: { path: `/${"x".repeat(197)}`, ids: [25] },
        unique: true,
        offsets,
      },
    );
  }
  // BTF without a tracepoint record's layout: its fields are named through args->.
  const { capTracepoint: _cap, newTaskTracepoint: _newTask, cgroupTracepoint: _cg, ...structsOnly } = offsets;
  const { capTracepoint: _cap2, ...noCapRecord } = offsets;
  variants.push(
    { probe: "tracepoint", mode: "pid", rootPid: 4242, offsets: noCapRecord },
    { probe: "kprobe", mode: "pid", rootPid: 4242, offsets: structsOnly },
    { probe: "kprobe", mode: "system", excludePids: [7], excludeChildrenOf: 7, offsets: structsOnly },
    { probe: "tracepoint", mode: "system", excludePids: [7], cgroup: { path: "/a", ids: [1] }, offsets: structsOnly },
  );
  // Those reading fields at offsets run with a BTF without types, as captrace gives bpftrace 0.17 (see typelessBtf).
  const dir = await Deno.makeTempDir();
  const typelessFile = `${dir}/types.btf`;
  await Deno.writeFile(typelessFile, typelessBtf());
  try {
    for (const v of variants) {
      const program = generateProgram(v);
      const what = JSON.stringify({ ...v, offsets: !!v.offsets });
      const r = await dryRun(program);
      assert.ok(r.ok && r.errors === "", `${what}\n${r.errors}`);
      // Those namesKernelTypes clears are given a BTF without types: they compile with it.
      if (!namesKernelTypes(v)) {
        const typeless = await dryRun(program, { BPFTRACE_BTF: typelessFile });
        assert.ok(typeless.ok && typeless.errors === "", `${what} without types\n${typeless.errors}`);
      }
    }
    // Others may not: naming structs, or task_newtask's fields through args->.
    const { newTaskTracepoint: _nt, ...noNewTaskRecord } = offsets;
    for (const v of [{}, { offsets: noNewTaskRecord }]) {
      const program = generateProgram({ probe: "tracepoint", mode: "pid", rootPid: 4242, ...v });
      assert.ok(!(await dryRun(program, { BPFTRACE_BTF: typelessFile })).ok);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the tracepoint record's field offsets from BTF match the tracepoint's format file", async () => {
  await requireTracing();
  const offsets = kernelOffsets(parseBtf(await Deno.readFile("/sys/kernel/btf/vmlinux")));
  const format = await Deno.readTextFile("/sys/kernel/tracing/events/capability/cap_capable/format");
  const at = (field: string) => Number(new RegExp(`[ *]${field};\\toffset:(\\d+);`).exec(format)?.[1]);
  assert.deepEqual(offsets?.capTracepoint, {
    cred: at("cred"),
    targetNs: at("target_ns"),
    cap: at("cap"),
    ret: at("ret"),
  });
});

Deno.test("the task_newtask record's field offsets from BTF match the tracepoint's format file", async () => {
  await requireTracing();
  const offsets = kernelOffsets(parseBtf(await Deno.readFile("/sys/kernel/btf/vmlinux")));
  const format = await Deno.readTextFile("/sys/kernel/tracing/events/task/task_newtask/format");
  const at = (field: string) => Number(new RegExp(`[ *]${field};\\toffset:(\\d+);`).exec(format)?.[1]);
  assert.deepEqual(offsets?.newTaskTracepoint, { pid: at("pid"), cloneFlags: at("clone_flags") });
});

Deno.test("the cgroup_mkdir record's field offsets from BTF match the tracepoint's format file", async () => {
  await requireTracing();
  const offsets = kernelOffsets(parseBtf(await Deno.readFile("/sys/kernel/btf/vmlinux")));
  const format = await Deno.readTextFile("/sys/kernel/tracing/events/cgroup/cgroup_mkdir/format");
  const at = (field: string) => Number(new RegExp(`[ *]${field};\\toffset:(\\d+);`).exec(format)?.[1]);
  assert.deepEqual(offsets?.cgroupTracepoint, { root: at("root"), id: at("id"), path: at("path") });
});

Deno.test("the exec record names the mount namespace and root the exec looked its file up in, as READY does", async () => {
  await requireTracing();
  const offsets = kernelOffsets(parseBtf(await Deno.readFile("/sys/kernel/btf/vmlinux")));
  assert.ok(offsets);
  // The generated BEGIN and exec probes' bodies, on a program of a name nothing else runs.
  const program = generateProgram({ probe: "tracepoint", mode: "pid", rootPid: 4242, offsets });
  const body = (header: string) => {
    const from = program.indexOf(header);
    return program.slice(program.indexOf("{", from) + 1, program.indexOf("\n}", from));
  };
  const dir = await Deno.makeTempDir({ prefix: "captrace-test-" });
  const bin = `${dir}/ct-exec-probe`;
  await Deno.copyFile("/bin/true", bin);
  await Deno.chmod(bin, 0o755);
  const text = `BEGIN {${body("BEGIN")}}\n` +
    `tracepoint:sched:sched_process_exec /comm == "ct-exec-probe"/ {${
      body("tracepoint:sched:sched_process_exec")
    } exit(); }`;
  // As captrace runs it: strings up to 200 bytes (the suite's temporary directory makes a long path).
  const tracer = new Deno.Command("bpftrace", {
    args: ["-e", text],
    env: { BPFTRACE_STRLEN: "200" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  try {
    const reader = tracer.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("READY ")) out += (await reader.read()).value ?? "";
    await new Deno.Command(bin).output();
    while (!/^N .*\n/m.test(out)) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    reader.releaseLock();
    const ready = /^READY (\d+) (\d+) ([0-9a-f]+:[0-9a-f]+)$/m.exec(out);
    const e = /^N (\d+) (\d+) (\d+) (\d+) ([0-9a-f]+:[0-9a-f]+) (\d+) (.*)\t(\d+)\t(\d+)$/m.exec(out);
    assert.ok(ready && e, out);
    const ns = Number(/\d+/.exec(await Deno.readLink("/proc/self/ns/mnt"))![0]);
    assert.equal(Number(ready[2]), ns, "bpftrace's mount namespace is captrace's");
    assert.equal(Number(e[4]), ns, "the exec's mount namespace");
    assert.equal(e[5], ready[3], "the exec's root directory is bpftrace's");
    assert.equal(Number(e[6]), (await Deno.stat("/")).ino, "the root's inode");
    assert.equal(e[7], bin);
    assert.equal(e[8], e[1], "the file name ends with the record's time");
    assert.equal(Number(e[9]), (await Deno.stat(bin)).ino, "then the executed file's inode");
  } finally {
    try {
      tracer.kill("SIGKILL");
    } catch {
      // ended
    }
    await tracer.status;
    await Deno.remove(dir, { recursive: true });
  }
});
