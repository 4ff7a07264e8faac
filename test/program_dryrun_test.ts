/** Every program variant must compile in the real bpftrace (`-d` dry run), the kprobe ones included: this kernel
 * has no kprobes to attach them to, so this is where their syntax and types are checked. */

import assert from "node:assert/strict";
import { generateProgram, type ProgramOptions } from "../shared/program.ts";
import { parseBtf } from "../shared/btf.ts";
import { kernelOffsets } from "../shared/kernel_offsets.ts";
import { requireTracing } from "./helpers.ts";

async function dryRun(program: string): Promise<{ ok: boolean; errors: string }> {
  const out = await new Deno.Command("bpftrace", { args: ["-d", "-e", program], stdout: "null", stderr: "piped" })
    .output();
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
      { probe, mode: "command", rootPid: 4242, launcherExecs: 2, sites: true },
      { probe, mode: "command", rootPid: 4242, launcherExecs: 1, unique: true, offsets, controlPid: 7 },
      { probe, mode: "pid", rootPid: 4242, preTracked: [4243], follow: true, sites: true, offsets },
      { probe, mode: "pid", rootPid: 4242, follow: false, unique: true },
      { probe, mode: "system", excludePids: [7], kprobeOptsArg: "audit", offsets, controlPid: 7 },
      { probe, mode: "pid", rootPid: 4242, follow: false, controlPid: 7 },
      { probe, mode: "system", excludePids: [7], summaryOnly: true, offsets, controlPid: 7 },
      { probe, mode: "command", rootPid: 4242, launcherExecs: 1, summaryOnly: true, offsets, controlPid: 7 },
    );
  }
  for (const v of variants) {
    const r = await dryRun(generateProgram(v));
    assert.ok(r.ok && r.errors === "", `${JSON.stringify({ ...v, offsets: !!v.offsets })}\n${r.errors}`);
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
