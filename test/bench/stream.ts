/** Writes synthetic tracer output in the record formats of shared/program.ts, for the pipeline benchmarks. */

/** Which stream to write: a realistic mix, or kprobe entries whose returns never come. */
export type StreamKind = "mix" | "unmatched";

// Kernel stacks as bpftrace prints them (8 spaces, symbol+offset), one per kind of caller.
const STACKS = {
  audited: ["cap_capable+131", "security_capable+59", "ns_capable+45", "__sys_setgroups+40"],
  setid: ["cap_capable+131", "security_capable+59", "ns_capable_setid+45", "__sys_setresuid+92"],
  noaudit: ["cap_capable+131", "security_vm_enough_memory_mm+54", "__mmap_region+3409", "do_mmap+1172"],
};
const COMMS = ["worker", "nginx", "Web Content", "postgres", "sh", "python3", "ping", "containerd-shim"];
const CAPS = [0, 1, 6, 7, 12, 13, 21, 24, 38];
const SYSCALLS = [9, 12, 41, 54, 59, 92, 105, 116, 298];
/** The mount namespace and root the ready record gives as captrace's, and the exec records as theirs. */
const HERE = "4026531841 ffff888003a1c240:ffff888003b2d100";
/** Programs that exec records name: those of these files the system has (at least one). */
const PROGRAMS = ["/bin/sh", "/usr/bin/env", "/usr/bin/true", "/bin/true", "/usr/bin/sleep", "/bin/sleep"];

/** A small deterministic generator, so every run benchmarks the same bytes. */
class _Rand {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    this.#s = (Math.imul(this.#s, 1664525) + 1013904223) >>> 0;
    return this.#s / 4294967296;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
}

/**
 * Write about `lines` lines of tracer output to `path`, from `READY` to the `S end` of the summary.
 * "mix": tracepoint checks with 4-frame stacks (most audited, a fifth no-audit, a tenth denied), kprobe
 * entry/return pairs (some interleaved across threads), execs (of files of this system, in captrace's root), exits
 * and a `Lost` line, over 2,000 processes with up to 4 threads each. "unmatched": kprobe entries only, on ever-new
 * thread ids, never returning.
 * Returns the number of check records written.
 */
export async function writeStream(path: string, kind: StreamKind, lines: number): Promise<number> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const enc = new TextEncoder();
  const r = new _Rand(0x5eed);
  let ts = 1_000_000_000;
  let written = 0;
  let checks = 0;
  let chunk: string[] = [];
  const flush = async () => {
    const data = enc.encode(chunk.join(""));
    chunk = [];
    let off = 0;
    while (off < data.length) off += await file.write(data.subarray(off));
  };
  const out = (text: string, n: number) => {
    chunk.push(text);
    written += n;
  };
  out(`Attaching 7 probes...\nREADY 1000000000 ${HERE}\n`, 2);
  const head = (tag: string, pid: number, tid: number, cap: number, x: number, sys: number, comm: string) =>
    `${tag} ${(ts += 1 + Math.floor(r.next() * 5000))} ${pid} ${tid} ${pid - 1} 1000 1000 ${cap} ${x} ${sys} ` +
    `4026531837 4026531837 0 0 ${comm}\n`;
  // With their inode numbers, as the kernel gives them.
  const found = await Promise.all(
    PROGRAMS.map((path) => Deno.stat(path).then((st) => ({ path, ino: st.ino! }), () => null)),
  );
  const programs = found.filter((p) => p !== null);
  if (programs.length === 0) throw new Error(`None of ${PROGRAMS.join(", ")} is here: the stream's execs need one`);
  let tid = 100_000;
  while (written < lines - 4) {
    if (kind === "unmatched") {
      out(head("B", 5000, tid++, r.pick(CAPS), 0, r.pick(SYSCALLS), "worker"), 1);
      checks++;
    } else {
      const pid = 10_000 + Math.floor(r.next() * 2000) * 8;
      const thread = pid + Math.floor(r.next() * 4);
      const comm = COMMS[pid % COMMS.length]!;
      const u = r.next();
      const ret = r.next() < 0.1 ? -1 : 0;
      if (u < 0.7) {
        const v = r.next();
        const stack = v < 0.2 ? STACKS.noaudit : v < 0.3 ? STACKS.setid : STACKS.audited;
        out(head("C", pid, thread, r.pick(CAPS), ret, r.pick(SYSCALLS), comm), 1);
        out(stack.map((f) => `        ${f}\n`).join("") + "\n", stack.length + 1);
        checks++;
      } else if (u < 0.85) {
        out(head("B", pid, thread, r.pick(CAPS), r.next() < 0.2 ? 2 : 0, r.pick(SYSCALLS), comm), 1);
        out(`R ${(ts += 700)} ${thread} ${ret}\n`, 1);
        checks++;
      } else if (u < 0.999) {
        // Two threads of one process inside cap_capable at once: returns arrive in the other order.
        const other = thread + 4;
        out(head("B", pid, thread, r.pick(CAPS), 0, r.pick(SYSCALLS), comm), 1);
        out(head("B", pid, other, r.pick(CAPS), 0, r.pick(SYSCALLS), comm), 1);
        out(`R ${(ts += 300)} ${other} ${ret}\nR ${(ts += 300)} ${thread} 0\n`, 2);
        checks += 2;
      } else if (u < 0.9995) {
        const p = r.pick(programs);
        out(`N ${(ts += 1000)} ${pid} ${pid - 1} ${HERE} 2 ${p.path}\t${ts}\t${p.ino}\n`, 1);
      } else if (u < 0.9999) {
        out(`X ${(ts += 1000)} ${pid} 0 0\n`, 1);
      } else {
        out("Lost 3 events\n", 1);
      }
    }
    if (chunk.length >= 4096) await flush();
  }
  out(`S begin\n@n: ${checks}\n@agg[0, 5000, 6, -1, 116, 1, 0]: ${checks}\nS end\n`, 4);
  await flush();
  file.close();
  return checks;
}

if (import.meta.main) {
  const [kind, lines, path] = Deno.args;
  if ((kind !== "mix" && kind !== "unmatched") || !lines || !path) {
    console.error("usage: stream.ts mix|unmatched LINES FILE");
    Deno.exit(2);
  }
  await writeStream(path, kind, Number(lines));
}
