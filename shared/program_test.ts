/** Tests of the generated bpftrace program: predicates, record formats and options, for both probe kinds. */

import assert from "node:assert/strict";
import type { KernelOffsets } from "./kernel_offsets.ts";
import { I386_SYSCALL } from "./syscalls.ts";
import {
  CGROUP_PATH_MAX,
  doneWithout,
  EXIT_FALLBACK_MS,
  generateProgram,
  KSTACK_DEPTH,
  namesKernelTypes,
  OWNED_DEPTH,
  type ProgramOptions,
  SITE_SCAN_WORDS,
  watchesNewCgroups,
} from "./program.ts";

function gen(over: Partial<ProgramOptions> = {}): string {
  return generateProgram({ probe: "tracepoint", mode: "pid", rootPid: 4242, ...over } as ProgramOptions);
}

/** The body of the first probe whose header starts with `header`. */
function probe(program: string, header: string): string {
  const at = program.indexOf(header);
  assert.ok(at >= 0, `no probe ${header} in:\n${program}`);
  const end = program.indexOf("\n}", at);
  return program.slice(at, end + 2);
}

/** Made-up offsets, distinct so each field is recognisable in the program. */
const OFFSETS: KernelOffsets = {
  taskRealParent: 100,
  taskTgid: 104,
  taskMm: 108,
  taskStack: 112,
  taskSignal: 116,
  taskExitCode: 120,
  taskGroupLeader: 1360,
  taskStartTime: 1720,
  taskFlags: 44,
  signalLive: 124,
  signalGroupExitCode: 88,
  mmStartCode: 128,
  mmEndCode: 132,
  mmEnvEnd: 144,
  mmExeFile: 920,
  fileInode: 32,
  credUid: 4,
  credGid: 8,
  credSuid: 12,
  credSgid: 16,
  credEuid: 20,
  credCapInheritable: 24,
  credCapPermitted: 28,
  credUserNs: 136,
  nsInum: 140,
  nsParent: 144,
  nsOwner: 148,
  ptRegsSize: 168,
  ptRegsOrigAx: 120,
  ptRegsSp: 152,
  ptRegsDi: 96,
  ptRegsSi: 92,
  ptRegsBx: 84,
  ptRegsCx: 80,
  taskThreadInfoStatus: 248,
  taskNsproxy: 200,
  nsproxyMntNs: 204,
  mntNsInum: 208,
  taskFs: 212,
  fsRootDentry: 216,
  fsRootMnt: 236,
  dentryInode: 220,
  inodeIno: 228,
};

const C_PRINTF = 'printf("C %llu %d %d %d %d %d %d %d %lld %u %u %lx %lx %s%s\\n", nsecs, pid, tid,';
const B_PRINTF = 'printf("B %llu %d %d %d %d %d %d %d %lld %u %u %lx %lx %s\\n", nsecs, pid, tid,';
const R_PRINTF = 'printf("R %llu %d %d\\n", nsecs, tid, retval);';
/** --unique: the `P` record before a check of a process that took an earlier one's pid (inside the @seen test). */
const REUSED = "    $was = @ps[pid];\n    if ($was != $st) {\n      @ps[pid] = $st;\n" +
  '      if ($was != 0) { @p = count(); printf("P %llu %d %llu\\n", nsecs, pid, $st); }\n    }\n';

Deno.test("program prints READY from BEGIN, once every probe is attached", () => {
  assert.ok(
    gen().startsWith(
      'BEGIN {\n  printf("READY %llu %u %lx:%lx\\n", nsecs, curtask->nsproxy->mnt_ns->ns.inum, ' +
        "(uint64)curtask->fs->root.dentry, (uint64)curtask->fs->root.mnt);\n",
    ),
  );
});

Deno.test("program prints a kernel stack after READY on the tracepoint only, for bpftrace to read the symbols early", () => {
  const begin = probe(gen(), "BEGIN");
  assert.ok(begin.indexOf("READY") < begin.indexOf('printf("W%s", kstack(4));'));
  assert.ok(begin.includes('printf("W%s", kstack(4));'));
  assert.ok(!probe(gen({ probe: "kprobe" }), "BEGIN").includes("kstack"));
});

Deno.test("program's tracepoint check prints the C record with the kernel stack", () => {
  const p = probe(gen(), "tracepoint:capability:cap_capable");
  assert.ok(p.includes(C_PRINTF), p);
  assert.ok(p.includes(`$k = kstack(${KSTACK_DEPTH});`));
  assert.equal(p.match(/kstack\(/g)?.length, 1, "one stack walk per check");
  assert.ok(p.includes("comm, $k);"));
  assert.ok(p.includes("$cred = args->cred; $tns = args->target_ns; $cap = args->cap; $ret = args->ret;"));
  assert.ok(p.includes("$cred->uid.val, $cred->euid.val, $cap, $ret, $sys,"));
  assert.ok(p.includes("$cred->user_ns->ns.inum, $tns->ns.inum, $ra, $cs"));
  // bpftrace 0.17 compiles each `args->` for about 50 ms: each field is read once.
  assert.equal(p.match(/args->/g)?.length, 4);
  assert.ok(p.includes("curtask->real_parent->tgid"));
  assert.ok(p.includes("@n = count();"));
  assert.ok(
    p.includes("$init = ($cred->user_ns->ns.inum == 4026531837 ? 1 : ($tns->ns.inum == 4026531837 ? 4 : 0));"),
    "the checking process's own namespace, and the one checked against",
  );
  // A check against a namespace the process owns needs nothing: the walk up to its own, in the named-struct form too.
  assert.ok(p.includes("if ($up == (uint64)$cred->user_ns) { if (((struct user_namespace *)$ns)->owner.val =="), p);
  // Marked with the program the process runs: the time of its exec (see ProgramMap.programMarked).
  assert.ok(p.includes("@agg[cpu, pid, $cap, $ret, $sys, $init, @t[pid], $fb, $k]++;"));
  assert.equal(KSTACK_DEPTH, 4);
});

Deno.test("program reads the task_newtask record once, at offsets from BTF, when it knows them", () => {
  const newTaskTracepoint = { pid: 8, cloneFlags: 32 };
  const p = probe(gen({ offsets: { ...OFFSETS, newTaskTracepoint } }), "tracepoint:task:task_newtask");
  assert.ok(p.includes("  $nt = (uint64)args;\n  if (!(*(uint64 *)($nt + 32) & 0x10000)) {\n"), p);
  assert.ok(p.includes("    $child = *(int32 *)($nt + 8);\n    $g = @t[pid];"), p);
  assert.ok(p.includes('printf("F %llu %d %d %llu\\n", nsecs, $child, pid, $g);'), p);
  assert.equal(p.match(/args/g)?.length, 1);
  // Without the record's layout, through args: the child's pid read once.
  const typed = probe(gen({ offsets: OFFSETS }), "tracepoint:task:task_newtask");
  assert.equal(typed.match(/args->/g)?.length, 2);
  assert.ok(typed.includes("$child = args->pid;") && typed.includes("!(args->clone_flags & 0x10000)"), typed);
});

Deno.test("program reads the tracepoint record once, at offsets from BTF, when it knows them", () => {
  const capTracepoint = { cred: 8, targetNs: 16, cap: 32, ret: 36 };
  const p = probe(gen({ offsets: { ...OFFSETS, capTracepoint } }), "tracepoint:capability:cap_capable");
  assert.ok(p.includes("$tp = (uint64)args; $cred = *(uint64 *)($tp + 8); $tns = *(uint64 *)($tp + 16);"), p);
  assert.ok(p.includes("$cap = *(int32 *)($tp + 32); $ret = *(int32 *)($tp + 36);"));
  assert.equal(p.match(/args/g)?.length, 1);
  assert.ok(p.includes("*(uint32 *)((uint64)$cred + 4), *(uint32 *)((uint64)$cred + 20), $cap, $ret, $sys,"), p);
  // Without the record's layout (a kernel whose BTF lacks it), the fields are read through args, once each.
  const typed = probe(gen({ offsets: OFFSETS }), "tracepoint:capability:cap_capable");
  assert.equal(typed.match(/args->/g)?.length, 4);
  assert.ok(typed.includes("*(uint32 *)((uint64)$cred + 4)"));
});

Deno.test("program counts a check against a namespace the process owns as needing none, as the kernel allows it", () => {
  // From the namespace checked against up to the process's own, at the offsets: the one whose parent is the process's
  // own namespace is owned by its euid (cap_capable's rule), and the check is counted with init 0, as one allowed
  // elsewhere.
  const walk = [
    "  if ($init == 1 && *(uint32 *)((uint64)$cred + 20) != 0 && (uint64)$tns != *(uint64 *)((uint64)$cred + 136)) {",
    "    $ns = (uint64)$tns; $own = 0;",
    `    unroll(${OWNED_DEPTH}) {`,
    "      if ($ns != 0) {",
    "        $up = *(uint64 *)($ns + 144);",
    "        if ($up == *(uint64 *)((uint64)$cred + 136)) { if (*(uint32 *)($ns + 148) == *(uint32 *)((uint64)$cred + 20)) " +
    "{ $own = 1; } $ns = 0; } else { $ns = $up; }",
    "      }",
    "    }",
    "    if ($own) { $init = 0; }",
    "  }",
  ].join("\n");
  const tp = probe(gen({ offsets: OFFSETS }), "tracepoint:capability:cap_capable");
  assert.ok(tp.includes(walk), tp);
  assert.ok(tp.indexOf("if ($own) { $init = 0; }") < tp.indexOf("@agg[cpu, pid, $cap, $ret, $sys, $init,"));
  // On kprobes at the entry: a check the process owes to owning the namespace is allowed, whatever it holds.
  const entry = probe(gen({ probe: "kprobe", offsets: OFFSETS }), "kprobe:cap_capable");
  assert.ok(entry.includes(walk.replaceAll("$cred", "arg0").replaceAll("$tns", "arg1")), entry);
  assert.ok(entry.indexOf("if ($own) { $init = 0; }") < entry.indexOf("@init[tid] = $init;"));
});

Deno.test("program reads the syscall number from saved registers on x86_64", () => {
  const p = probe(gen(), "tracepoint:capability:cap_capable");
  assert.ok(p.includes("$regs = (struct pt_regs *)((uint64)curtask->stack + 16384 - sizeof(struct pt_regs));"));
  // None for a kernel thread, nor for an io_uring worker, whose registers are its creator's.
  assert.ok(p.includes("$sys = (curtask->mm == 0 || (curtask->flags & 16) != 0 ? (int64)-1 : (int64)$regs->orig_ax);"));
  assert.ok(!/raw_syscalls|sys_enter/.test(gen()));
  const raw = probe(gen({ offsets: OFFSETS, sites: true }), "tracepoint:capability:cap_capable");
  assert.ok(raw.includes("*(uint64 *)((uint64)curtask + 108) == 0 || (*(uint32 *)((uint64)curtask + 44) & 16) != 0"));
  // Nor a call site: its stack pointer is its creator's too.
  assert.ok(
    raw.includes("if (*(uint64 *)((uint64)curtask + 108) != 0 && (*(uint32 *)((uint64)curtask + 44) & 16) == 0) {"),
  );
});

Deno.test("program reports no syscall and no site on other architectures", () => {
  const p = probe(gen({ arch: "aarch64", sites: true }), "tracepoint:capability:cap_capable");
  assert.ok(p.includes("$sys = (int64)-1;"));
  assert.ok(p.includes("$ra = (uint64)0; $cs = (uint64)0;"));
  assert.ok(!p.includes("orig_ax"));
  assert.ok(!p.includes("uptr($sp)"), "no scan of the user stack");
});

Deno.test("program in pid mode traces the root and tracked descendants", () => {
  const prog = gen();
  assert.ok(prog.includes("tracepoint:capability:cap_capable /(pid == 4242 || @t[pid])/ {"));
  // Followed by process: a new process takes its parent's entry, a new thread (CLONE_THREAD) its process's.
  assert.ok(
    prog.includes(
      "tracepoint:task:task_newtask /(pid == 4242 || @t[pid])/ {\n  if (!(args->clone_flags & 0x10000)) {\n" +
        "    $child = args->pid;\n    $g = @t[pid]; if ($g == 0) { $g = (uint64)pid; }\n    @t[$child] = $g;\n",
    ),
    prog,
  );
  assert.ok(!prog.includes("@go"));
  assert.ok(!prog.includes("@launcher"));
});

Deno.test("program in pid mode tracks descendants that existed before attaching", () => {
  const begin = probe(gen({ preTracked: [4242, 4250] }), "BEGIN");
  // Each process (all its threads) marked with its pid: the program it ran when the trace began.
  assert.ok(begin.includes("  @t[4242] = (uint64)4242;\n  @t[4250] = (uint64)4250;\n"), begin);
  assert.ok(begin.indexOf("@t[4250]") < begin.indexOf("READY"));
});

Deno.test("program prints exec and exit records and quits when the root exits", () => {
  const prog = gen();
  const exec = probe(prog, "tracepoint:sched:sched_process_exec");
  assert.ok(
    exec.includes(
      '  $now = nsecs; @t[pid] = $now;\n  @p = count(); printf("N %llu %d %d %u %lx:%lx %lu %s\\t%llu\\t%lu\\n", $now, pid, ' +
        "curtask->real_parent->tgid, " +
        "curtask->nsproxy->mnt_ns->ns.inum, (uint64)curtask->fs->root.dentry, (uint64)curtask->fs->root.mnt, (uint64)0, " +
        "str(uptr(curtask->mm->env_end)), $now, (uint64)0);",
    ),
    exec,
  );
  assert.ok(!exec.includes("args"), "no args: bpftrace would compile the record's struct with clang");
  const exit = probe(prog, "tracepoint:sched:sched_process_exit /(pid == 4242 || @t[pid])/");
  assert.ok(exit.includes("if (curtask->signal->live.counter == 0) {"));
  assert.ok(
    exit.includes(
      'printf("X %llu %d %d %d\\n", nsecs, pid, (curtask->exit_code | (curtask->signal->group_exit_code & 0x80)), pid == 4242 ? 1 : 0);',
    ),
  );
  // No exit() from the exit probe: bpftrace drops what it reads after one. captrace interrupts it instead,
  // and the interval probe only calls exit() if that never comes.
  assert.ok(exit.includes("if (pid == 4242) { @done = 1; }"));
  assert.ok(!exit.includes("exit();"));
  // A main thread ending before the others (when another thread executes, the kernel ends it first) keeps the
  // process followed: its entry goes with the process.
  assert.ok(exit.includes("    if (pid == 4242) { @done = 1; }\n    delete(@t[pid]);\n  }\n"), exit);
  assert.equal(exit.match(/delete\(@t/g)?.length, 1, exit);
  assert.ok(exit.includes("  delete(@nd[tid]);\n"), exit);
  assert.ok(prog.includes(`interval:ms:${EXIT_FALLBACK_MS / 4} /@done/ { @done++; if (@done > 4) { exit(); } }`));
});

Deno.test("program reads an exec's file name from the new stack, at BTF offsets when it knows them", () => {
  const exec = probe(gen({ offsets: OFFSETS }), "tracepoint:sched:sched_process_exec");
  assert.ok(exec.includes(", str(uptr(*(uint64 *)(*(uint64 *)((uint64)curtask + 108) + 144))), $now, "), exec);
  // The executed file's inode: mm->exe_file->f_inode->i_ino.
  assert.ok(
    exec.endsWith("*(uint64 *)(*(uint64 *)(*(uint64 *)(*(uint64 *)((uint64)curtask + 108) + 920) + 32) + 228));\n}"),
    exec,
  );
  assert.ok(!exec.includes("args"));
});

Deno.test("program reads where an exec looked its file up, its mount namespace and root, at BTF offsets", () => {
  const exec = probe(gen({ offsets: OFFSETS }), "tracepoint:sched:sched_process_exec");
  const root = "*(uint64 *)(*(uint64 *)((uint64)curtask + 212) + 216)";
  assert.ok(
    exec.includes(
      `*(uint32 *)(*(uint64 *)(*(uint64 *)((uint64)curtask + 200) + 204) + 208), ${root}, ` +
        "*(uint64 *)(*(uint64 *)((uint64)curtask + 212) + 236), " +
        `*(uint64 *)(*(uint64 *)(${root} + 220) + 228), `,
    ),
    exec,
  );
});

Deno.test("program prints the summary between S begin (marked END's) and S end at END, then clears its maps", () => {
  const end = probe(gen(), "END");
  const order = [
    'printf("S begin %llu END\\n", nsecs);',
    "print(@n);",
    "print(@agg);",
    'printf("S end %llu\\n", nsecs);',
  ];
  const at = order.map((s) => end.indexOf(s));
  assert.ok(at.every((i) => i >= 0), end);
  assert.deepEqual([...at].sort((a, b) => a - b), at);
  for (const m of ["@agg", "@n", "@t", "@done"]) assert.ok(end.includes(`clear(${m});`), m);
  // Maps the program does not use are not cleared (bpftrace rejects unknown maps).
  for (const m of ["@seen", "@go", "@execs", "@launcher", "@cap", "@opt", "@sys"]) {
    assert.ok(!end.includes(`clear(${m});`), m);
  }
  assert.ok(end.lastIndexOf("clear(") > end.indexOf("S end"));
});

Deno.test("program with --no-follow traces only the root process and its threads", () => {
  const prog = gen({ follow: false });
  assert.ok(prog.includes("tracepoint:capability:cap_capable /pid == 4242/ {"));
  assert.ok(prog.includes("tracepoint:sched:sched_process_exit /pid == 4242/ {"));
  assert.ok(!prog.includes("task_newtask"));
  assert.ok(!prog.includes("@t["));
});

Deno.test("program in command mode gates on the launcher's execs and counts the launcher's checks", () => {
  const prog = gen({ mode: "command", launcherExecs: 2 });
  // One program per hook: the check hook counts the launcher's checks until the gate opens.
  const check = probe(prog, "tracepoint:capability:cap_capable /(pid == 4242 || @t[pid])/");
  assert.ok(check.includes("  if (@go == 0) {\n    @launcher = count();\n  } else {\n"), check);
  assert.equal(prog.split("tracepoint:capability:cap_capable").length, 2, "a single program on the tracepoint");
  const exec = probe(prog, "tracepoint:sched:sched_process_exec /(pid == 4242 || @t[pid])/");
  assert.ok(exec.includes("if (pid == 4242) { @execs++; if (@execs == 2) { @go = 1; } }"));
  // The gate flips before the exec record of the same exec is printed.
  assert.ok(exec.indexOf("@execs++") < exec.indexOf("if (@go) {"));
  assert.ok(exec.indexOf("if (@go) {") < exec.indexOf('printf("N '));
  assert.ok(prog.includes("tracepoint:task:task_newtask /@go && (pid == 4242 || @t[pid])/"));
  // The exit of the root is seen even before the gate opens (a launcher that fails to exec).
  assert.ok(prog.includes("tracepoint:sched:sched_process_exit /(pid == 4242 || @t[pid])/ {"));
  const end = probe(prog, "END");
  assert.ok(end.indexOf("print(@launcher);") > end.indexOf("print(@n);"));
  for (const m of ["@go", "@execs", "@launcher"]) assert.ok(end.includes(`clear(${m});`), m);
});

Deno.test("program in command mode without launcher execs is not gated", () => {
  const prog = gen({ mode: "command", launcherExecs: 0 });
  assert.ok(!prog.includes("@go"));
  assert.ok(prog.includes("tracepoint:capability:cap_capable /(pid == 4242 || @t[pid])/ {"));
});

Deno.test("program in system mode excludes captrace's own processes and records execs, and marked processes' ends", () => {
  const prog = generateProgram({ probe: "tracepoint", mode: "system", excludePids: [100, 101] });
  assert.ok(prog.includes("tracepoint:capability:cap_capable /pid != 100 && pid != 101/ {"));
  for (const s of ["interval:", 'printf("F ']) assert.ok(!prog.includes(s), s);
  // Each exec marks its process's program and names its file.
  const exec = probe(prog, "tracepoint:sched:sched_process_exec /pid != 100 && pid != 101/");
  assert.ok(exec.includes("  $now = nsecs; @t[pid] = $now;\n") && exec.includes('printf("N '), exec);
  // A new process takes its parent's mark, when it has one, without a record.
  assert.equal(
    probe(prog, "tracepoint:task:task_newtask"),
    "tracepoint:task:task_newtask /pid != 100 && pid != 101/ {\n  if (!(args->clone_flags & 0x10000)) {\n" +
      "    $g = @t[pid];\n    if ($g != 0) { $child = args->pid; @t[$child] = $g; }\n  }\n}",
  );
  // A marked process's end, wherever it is by then: its record, and its mark goes.
  assert.equal(
    probe(prog, "tracepoint:sched:sched_process_exit"),
    "tracepoint:sched:sched_process_exit /@t[pid]/ {\n  if (curtask->signal->live.counter == 0) {\n" +
      '    @p = count(); printf("X %llu %d %d %d\\n", nsecs, pid, (curtask->exit_code | (curtask->signal->group_exit_code & 0x80)), 0);\n    delete(@t[pid]);\n  }\n' +
      "  delete(@nd[tid]);\n}",
  );
});

Deno.test("program in system mode leaves out the children of captrace (its bpftrace), by their parent", () => {
  const typed = generateProgram({ probe: "tracepoint", mode: "system", excludePids: [100], excludeChildrenOf: 100 });
  assert.ok(typed.includes("cap_capable /pid != 100 && curtask->real_parent->tgid != 100/ {"), typed);
  const raw = probe(
    generateProgram({ probe: "kprobe", mode: "system", excludePids: [100], excludeChildrenOf: 100, offsets: OFFSETS }),
    "kprobe:cap_capable",
  );
  assert.ok(raw.startsWith("kprobe:cap_capable /pid != 100 && *(int32 *)(*(uint64 *)((uint64)curtask + "), raw);
  // Command and pid modes trace a tree that bpftrace is not part of.
  assert.ok(!gen({ excludeChildrenOf: 100 }).includes("!= 100"));
});

Deno.test("program with --cgroup traces the cgroups' processes, and adds cgroups made below it", () => {
  const cgroup = { path: "/system.slice/a.service", ids: [25, 63] };
  const offsets = { ...OFFSETS, cgroupTracepoint: { root: 8, id: 16, path: 24 } };
  const prog = generateProgram({ probe: "tracepoint", mode: "system", excludePids: [100], cgroup, offsets });
  assert.ok(prog.includes("tracepoint:capability:cap_capable /pid != 100 && @cg[cgroup]/ {"), prog);
  assert.ok(prog.includes("  @cg[(uint64)25] = 1;\n  @cg[(uint64)63] = 1;\n"), prog);
  const mkdir = probe(prog, "tracepoint:cgroup:cgroup_mkdir");
  // Fields at the record's offsets; the path's __data_loc word gives the string's offset in its low 16 bits. cgroup
  // v2's hierarchy (0), a path below this one: the `/` after it keeps out "/system.slice/a.serviceX".
  assert.equal(
    mkdir,
    [
      "tracepoint:cgroup:cgroup_mkdir {",
      "  $a = (uint64)args; $root = *(int32 *)($a + 8); $id = *(uint64 *)($a + 16);",
      "  $p = $a + (*(uint32 *)($a + 24) & 0xffff); $m = $root == 0 ? 1 : 0;",
      '  if ($m) { $s = str(kptr($p + 0)); if (strncmp($s, "/system.slice/a.service", 23) != 0) { $m = 0; } }',
      // Then a `/` (below it) or the end (itself, made again): not "/system.slice/a.serviceX".
      "  if ($m) { $c = *(uint8 *)($p + 23); if ($c != 47 && $c != 0) { $m = 0; } }",
      "  if ($m) { @cg[$id] = 1; }",
      "}",
    ].join("\n"),
  );
  assert.ok(prog.includes("clear(@cg);"));
  // Without the record's layout, through args->.
  for (const v of [{}, { offsets: OFFSETS }]) {
    const named = probe(generateProgram({ probe: "tracepoint", mode: "system", cgroup, ...v }), "tracepoint:cgroup:");
    assert.ok(named.includes("$root = args->root; $id = args->id; $path = str(args->path);"), named);
    assert.ok(
      named.includes(
        'if ($root == 0 && (strncmp($path, "/system.slice/a.service/", 24) == 0 || $path == "/system.slice/a.service")) {',
      ),
      named,
    );
  }
  // Without --cgroup, none of it.
  assert.ok(!generateProgram({ probe: "tracepoint", mode: "system", offsets: OFFSETS }).includes("cgroup"));
});

Deno.test("program with --cgroup adds no new cgroups for a path it cannot compare in the kernel", () => {
  const cgroupTracepoint = { root: 8, id: 16, path: 24 };
  const cases: [string, boolean, boolean][] = [
    // path, watched through args->, watched at the record's offsets
    ["/a", true, true],
    [`/${"x".repeat(61)}`, true, true],
    [`/${"x".repeat(62)}`, false, true], // through args->, one literal of 63 bytes at most
    [`/${"x".repeat(CGROUP_PATH_MAX - 1)}`, false, true],
    [`/${"x".repeat(CGROUP_PATH_MAX)}`, false, false],
    ["/", false, false], // the root: every process is in it, and the program has no filter
    ['/a"b', false, false],
    ["/dev-disk-by\\x2duuid.swap", false, false],
    ["/caf\u00e9", false, false],
  ];
  for (const [path, named, atOffsets] of cases) {
    for (const [offsets, watched] of [[undefined, named], [{ ...OFFSETS, cgroupTracepoint }, atOffsets]] as const) {
      const options = {
        probe: "tracepoint",
        mode: "system",
        cgroup: { path, ids: [1] },
        ...(offsets ? { offsets } : {}),
      } as const;
      assert.equal(watchesNewCgroups(options), watched, path);
      assert.equal(generateProgram(options).includes("cgroup_mkdir"), watched, path);
      assert.equal(generateProgram(options).includes("@cg"), path !== "/", path);
    }
  }
});

Deno.test("program with --cgroup compares a long path in pieces bpftrace takes as literals", () => {
  const path = `/${"a".repeat(70)}/${"b".repeat(60)}`;
  const offsets = { ...OFFSETS, cgroupTracepoint: { root: 8, id: 16, path: 24 } };
  const prog = probe(
    generateProgram({ probe: "tracepoint", mode: "system", cgroup: { path, ids: [1] }, offsets }),
    "tracepoint:cgroup:cgroup_mkdir",
  );
  const pieces = [...prog.matchAll(/\$s = str\(kptr\(\$p \+ (\d+)\)\); if \(strncmp\(\$s, "([^"]*)", (\d+)\) != 0\)/g)];
  assert.deepEqual(pieces.map((m) => Number(m[1])), [0, 63, 126]);
  assert.equal(pieces.map((m) => m[2]).join(""), path);
  assert.ok(prog.includes(`$c = *(uint8 *)($p + ${path.length});`), prog);
  for (const m of pieces) assert.ok(m[2]!.length <= 63 && Number(m[3]) === m[2]!.length, m[0]);
});

Deno.test("program in system mode without exclusions has no predicate", () => {
  const prog = generateProgram({ probe: "tracepoint", mode: "system" });
  assert.match(prog, /^tracepoint:capability:cap_capable +\{$/m);
  assert.ok(!/cap_capable \/.*\//.test(prog));
});

Deno.test("program needs a positive integer root pid in command and pid modes", () => {
  for (const rootPid of [undefined, 0, -1, 1.5, NaN]) {
    for (const mode of ["pid", "command"] as const) {
      const options = { probe: "tracepoint", mode, ...(rootPid === undefined ? {} : { rootPid }) } as const;
      assert.throws(() => generateProgram(options), {
        name: "RangeError",
        message: `A root pid is needed in ${mode} mode`,
      });
    }
  }
});

Deno.test("program with --unique prints each distinct check once and still counts all", () => {
  const p = probe(gen({ unique: true }), "tracepoint:capability:cap_capable");
  const key = "pid, $cap, $ret, $sys, $init, $k, $ra, $st, @t[pid]";
  assert.equal(p.match(/kstack\(/g)?.length, 1, "one stack walk per check");
  const print =
    `    if ($tol == 1) { @p = count(); printf("T %llu %d\\n", nsecs, tid); }\n    @p = count();\n    ${C_PRINTF}`;
  const st = "  $st = curtask->group_leader->start_time;\n";
  assert.ok(p.includes(`${st}  if (@seen[${key}] == 0) {\n    @seen[${key}] = 1;\n${REUSED}${print}`), p);
  assert.ok(p.indexOf("@n = count();") < p.indexOf("if (@seen"));
  assert.ok(p.indexOf("@agg[") < p.indexOf("if (@seen"));
  assert.ok(probe(gen({ unique: true }), "END").includes("clear(@seen);\n  clear(@ps);"));
  // Read at offsets: the group leader's start time.
  const raw = probe(gen({ unique: true, offsets: OFFSETS }), "tracepoint:capability:cap_capable");
  assert.ok(raw.includes("  $st = *(uint64 *)(*(uint64 *)((uint64)curtask + 1360) + 1720);\n"), raw);
  // Without --unique, no start is read and no map of pids kept.
  assert.ok(!/\$st|@ps/.test(gen()));
});

Deno.test("program with sites scans the user stack for a return address into the program", () => {
  const p = probe(gen({ sites: true }), "tracepoint:capability:cap_capable");
  assert.ok(p.includes("$cs = (uint64)curtask->mm->start_code; $ce = (uint64)curtask->mm->end_code;"));
  assert.ok(p.includes(`unroll(${SITE_SCAN_WORDS}) { if ($ra == 0) { $w = (uint64)*(uint64 *)uptr($sp);`));
  assert.ok(p.includes("if ($w >= $cs + 8 && $w < $ce) {"), p);
  // Only a word after a call instruction (E8 at -5, FF 15 at -6, FF D0+r at -2) is a return address: the first one.
  assert.ok(p.includes("$b = *(uint64 *)uptr($w - 8); $e8 = (($b >> 24) & 0xff) == 0xe8;"), p);
  assert.ok(p.includes("if ($e8 || $got || (($b >> 48) & 0xf8ff) == 0xd0ff) {"), p);
  assert.ok(p.includes("if ($ra0 == 0) { $ra0 = $w; }"), p);
  // The caller of the library is the first whose call goes through the PLT (FF 25, endbr64 before it, a bnd prefix)
  // or the GOT; else the first after a call.
  assert.ok(p.includes("$t = $w + (uint64)(int64)(int32)($b >> 32); $i = *(uint64 *)uptr($t);"), p);
  assert.ok(p.includes("if (($i & 0xffff) == 0x25ff ||"), p);
  assert.ok(p.includes("if ($got) { $ra = $w; }"), p);
  assert.ok(p.includes("if ($ra == 0) { $ra = $ra0; }"), p);
  assert.ok(!probe(gen(), "tracepoint:capability:cap_capable").includes("uptr($sp)"));
});

Deno.test("program's kprobe entry prints the B record with opts read from the 4th argument", () => {
  const prog = gen({ probe: "kprobe" });
  assert.ok(!prog.includes("tracepoint:capability"));
  const entry = probe(prog, "kprobe:cap_capable /(pid == 4242 || @t[pid])/");
  assert.ok(entry.includes(B_PRINTF), entry);
  assert.ok(entry.includes("@cap[tid] = arg2; @opt[tid] = arg3; @sys[tid] = $sys;"));
  assert.ok(
    entry.includes(
      "$init = (((struct cred *)arg0)->user_ns->ns.inum == 4026531837 ? 1 : " +
        "(((struct user_namespace *)arg1)->ns.inum == 4026531837 ? 4 : 0));",
    ),
  );
  assert.ok(entry.includes("@init[tid] = $init;"));
  assert.ok(entry.includes("((struct cred *)arg0)->uid.val, ((struct cred *)arg0)->euid.val, arg2, arg3, $sys,"));
  assert.ok(entry.includes("((struct cred *)arg0)->user_ns->ns.inum, ((struct user_namespace *)arg1)->ns.inum"));
  assert.ok(!entry.includes("kstack"));
});

Deno.test("program tells a refusal its syscall does without: setuid, setgid to an id held, capset that drops", () => {
  const tp = probe(gen({ offsets: OFFSETS }), "tracepoint:capability:cap_capable");
  // Refused, in the initial namespace, CAP_SETUID in setuid (105; i386's setuid32, 213), CAP_SETGID in setgid (106;
  // setgid32, 214) or CAP_SETPCAP in capset (126; i386's 185) on x86_64; i386's numbers marked by I386_SYSCALL.
  const [uid32, gid32, capset32] = [213, 214, 185].map((n) => I386_SYSCALL + n);
  // Refused only for setuid and setgid; capset's, refused or allowed.
  const ids = `(($sys == 105 || $sys == ${uid32}) && $cap == 7) || (($sys == 106 || $sys == ${gid32}) && $cap == 6)`;
  const calls = `($ret != 0 && (${ids})) || (($sys == 126 || $sys == ${capset32}) && $cap == 8)`;
  assert.ok(tp.includes(`if ($init == 1 && (${calls})) {`), tp);
  // The arguments: di and si, or bx and cx for a 32-bit call (32-bit pointers).
  assert.ok(
    tp.includes(
      `if ($sys >= ${I386_SYSCALL}) { $a0 = *(uint64 *)($regs + 84) & 0xffffffff; ` +
        "$a1 = *(uint64 *)($regs + 80) & 0xffffffff; }\n    else { $a0 = *(uint64 *)($regs + 96); " +
        "$a1 = *(uint64 *)($regs + 92); }",
    ),
    tp,
  );
  // capset: the new inheritable set (user memory, both words past version 1) within the inheritable and permitted
  // sets held.
  assert.ok(tp.includes(`if (($sys == 126 || $sys == ${capset32})) {\n      $in = (uint64)*(uint32 *)uptr($a1 + 8);`));
  assert.ok(
    tp.includes("if (*(uint32 *)uptr($a0) != 429392688) { $in = $in | ((uint64)*(uint32 *)uptr($a1 + 20) << 32); }"),
  );
  assert.ok(
    tp.includes(
      "if (($in & 0x1ffffffffff & ~(*(uint64 *)((uint64)$cred + 24) | *(uint64 *)((uint64)$cred + 28))) == 0) { $tol = 1; }",
    ),
    tp,
  );
  // Where the sets are not read (named structs), capset's refusal stays a need.
  assert.ok(!probe(gen(), "tracepoint:capability:cap_capable").includes("$sys == 126"));
  // The id argument, against the real and saved ids at their offsets.
  assert.ok(tp.includes("$id = (uint32)$a0;"), tp);
  assert.ok(
    tp.includes(
      `if (($sys == 105 || $sys == ${uid32})) { if ($id == *(uint32 *)((uint64)$cred + 4) || ` +
        "$id == *(uint32 *)((uint64)$cred + 12)) { $tol = 1; } else if ($id == 0) { $tol = 2; } }",
    ),
    tp,
  );
  assert.ok(
    tp.includes(
      `if (($sys == 106 || $sys == ${gid32})) { if ($id == *(uint32 *)((uint64)$cred + 8) || ` +
        "$id == *(uint32 *)((uint64)$cred + 16)) { $tol = 1; } else if ($id == 0) { $tol = 2; } }",
    ),
  );
  // Counted with init 3, and told to the stream right before the check's record; setuid(0) and setgid(0) refused to a
  // process with no root id, with init 9 and not told (a need, unless the process dropped its ids: see recommend).
  assert.ok(_before(tp, "if ($tol == 1) { $init = 3; }", "@agg[cpu, pid, $cap, $ret, $sys, $init,"), tp);
  assert.ok(_before(tp, "if ($tol == 2) { $init = 9; }", "@agg[cpu, pid, $cap, $ret, $sys, $init,"), tp);
  assert.ok(
    tp.includes(`if ($tol == 1) { @p = count(); printf("T %llu %d\\n", nsecs, tid); }\n  @p = count();\n  ${C_PRINTF}`),
    tp,
  );
  // The kprobe's entry does not know the verdict yet: its return's count takes the entry's init.
  const entry = probe(gen({ probe: "kprobe", offsets: OFFSETS }), "kprobe:cap_capable");
  const any = `${ids} || (($sys == 126 || $sys == ${capset32}) && $cap == 8)`;
  assert.ok(entry.includes(`if ($init == 1 && (${any.replaceAll("$cap", "arg2")})) {`), entry);
  assert.ok(entry.includes("$id == *(uint32 *)((uint64)arg0 + 4) || $id == *(uint32 *)((uint64)arg0 + 12)"), entry);
  assert.ok(_before(entry, "if ($tol == 1) { $init = 3; }", "@init[tid] = $init;"), entry);
  assert.ok(_before(entry, "if ($tol == 2) { $init = 9; }", "@init[tid] = $init;"), entry);
  assert.ok(
    entry.includes(
      `if ($tol == 1) { @p = count(); printf("T %llu %d\\n", nsecs, tid); }\n  @p = count();\n  ${B_PRINTF}`,
    ),
    entry,
  );
  // Elsewhere the registers and numbers are not known: nothing is told.
  const arm = probe(gen({ arch: "aarch64" }), "tracepoint:capability:cap_capable");
  assert.ok(arm.includes("$tol = (uint64)0;") && !arm.includes("$id"), arm);
});

Deno.test("program marks a 32-bit syscall's number, by the task's TS_COMPAT bit, on x86_64 only", () => {
  const mark = (p: string) => p.split("\n").find((l) => l.includes(String(I386_SYSCALL)) && l.includes("& 2"));
  assert.equal(
    mark(probe(gen({ offsets: OFFSETS }), "tracepoint:capability:cap_capable")),
    `  if ($sys >= 0 && (*(uint32 *)((uint64)curtask + 248) & 2) != 0) { $sys = $sys + ${I386_SYSCALL}; }`,
  );
  assert.equal(
    mark(probe(gen({ probe: "kprobe" }), "kprobe:cap_capable")),
    `  if ($sys >= 0 && (curtask->thread_info.status & 2) != 0) { $sys = $sys + ${I386_SYSCALL}; }`,
  );
  assert.equal(mark(gen({ arch: "aarch64", offsets: OFFSETS })), undefined);
});

Deno.test("program maps the old int audit argument onto CAP_OPT_NOAUDIT on old kernels", () => {
  const entry = probe(gen({ probe: "kprobe", kprobeOptsArg: "audit" }), "kprobe:cap_capable");
  assert.ok(entry.includes("@opt[tid] = (arg3 == 0 ? 2 : 0);"));
  assert.ok(entry.includes("arg2, (arg3 == 0 ? 2 : 0), $sys,"));
  assert.ok(!entry.includes("@opt[tid] = arg3;"));
});

Deno.test("program's kretprobe prints R only for a tracked task whose entry was seen, then forgets it", () => {
  const ret = probe(gen({ probe: "kprobe" }), "kretprobe:cap_capable");
  assert.ok(
    ret.startsWith(
      "kretprobe:cap_capable /(pid == 4242 || @t[pid]) && @in[tid]/ {",
    ),
    ret,
  );
  assert.ok(ret.includes(R_PRINTF));
  assert.ok(ret.includes("@n = count();"));
  assert.ok(ret.includes("@agg[cpu, pid, @cap[tid], retval, @sys[tid], @init[tid], @t[pid], $fb, @opt[tid]]++;"));
  const forget = "delete(@cap[tid]); delete(@opt[tid]); delete(@sys[tid]); delete(@init[tid]);";
  assert.ok(ret.indexOf("@agg[") < ret.indexOf(forget));
  const end = probe(gen({ probe: "kprobe" }), "END");
  for (const m of ["@cap", "@opt", "@sys", "@init"]) assert.ok(end.includes(`clear(${m});`), m);
});

Deno.test("program's kretprobe keeps the exclusions of system mode for every return", () => {
  const ret = probe(generateProgram({ probe: "kprobe", mode: "system", excludePids: [7] }), "kretprobe:cap_capable");
  assert.ok(ret.startsWith("kretprobe:cap_capable /pid != 7 && @in[tid]/"), ret);
});

Deno.test("program's kprobe path with --unique prints each distinct return once", () => {
  const ret = probe(gen({ probe: "kprobe", unique: true }), "kretprobe:cap_capable");
  const key = "pid, @cap[tid], retval, @sys[tid], @init[tid], @opt[tid], $st, @t[pid]";
  assert.ok(
    ret.includes(`  if (@seen[${key}] == 0) {\n    @seen[${key}] = 1;\n${REUSED}    @p = count(); ${R_PRINTF}\n  }`),
    ret,
  );
  assert.ok(ret.includes("  $st = curtask->group_leader->start_time;\n  if (@seen["), ret);
});

Deno.test("program's kprobe path with --unique and --sites keys a return by its entry's call site too", () => {
  const prog = gen({ probe: "kprobe", unique: true, sites: true });
  assert.ok(probe(prog, "kprobe:cap_capable").includes("  @ra[tid] = $ra;"));
  const ret = probe(prog, "kretprobe:cap_capable");
  const key = "pid, @cap[tid], retval, @sys[tid], @init[tid], @opt[tid], @ra[tid], $st, @t[pid]";
  assert.ok(ret.includes(`  if (@seen[${key}] == 0) {\n    @seen[${key}] = 1;`), ret);
  assert.ok(ret.includes(" delete(@ra[tid]);"), ret);
  assert.ok(probe(prog, "END").includes("clear(@ra);"));
  // Without --sites, with --summary-only, or where no call site is read, there is none to keep.
  const none = [{ unique: true }, { unique: true, sites: true, summaryOnly: true }, {
    unique: true,
    sites: true,
    arch: "aarch64",
  }];
  for (const o of none) {
    assert.ok(!gen({ probe: "kprobe", ...o }).includes("@ra"), JSON.stringify(o));
  }
});

Deno.test("program's kprobe path in command mode gates entries and counts launcher checks on the kprobe", () => {
  const prog = gen({ probe: "kprobe", mode: "command", launcherExecs: 1 });
  const entry = probe(prog, "kprobe:cap_capable /(pid == 4242 || @t[pid])/");
  assert.ok(entry.includes("  if (@go == 0) {\n    @launcher = count();\n  } else {\n"), entry);
  assert.ok(prog.includes("kretprobe:cap_capable /@go && (pid == 4242 || @t[pid]) && @in[tid]/"));
  assert.ok(prog.includes("if (@execs == 1) { @go = 1; }"));
});

Deno.test("program ends with a newline and has balanced braces", () => {
  for (
    const o of [
      {},
      { probe: "kprobe" as const, unique: true, sites: true },
      { mode: "command" as const, launcherExecs: 2, unique: true, sites: true },
    ]
  ) {
    const prog = gen(o);
    assert.ok(prog.endsWith("}\n"));
    assert.equal(prog.split("{").length, prog.split("}").length);
  }
});

Deno.test("program prints its summary when captrace's own pid makes a CAP_CHOWN check, once, END only if not", () => {
  const prog = gen({ controlPid: 77 });
  const p = probe(prog, "tracepoint:capability:cap_capable");
  assert.ok(p.startsWith("tracepoint:capability:cap_capable /((pid == 4242 || @t[pid])) || pid == 77/ {"), p);
  const control = p.slice(p.indexOf("if (pid == 77) {"), p.indexOf("} else if (@fin == 0) {"));
  assert.ok(
    control.includes('if ($cap == 0 && @fin == 0) {\n      @fin = 1;\n      printf("S begin %llu\\n", nsecs);'),
    control,
  );
  assert.ok(control.includes('print(@agg);\n      printf("S end %llu\\n", nsecs);'));
  assert.ok(!control.includes("count()") && !control.includes("]++"), "captrace's own checks are not counted");
  assert.ok(p.slice(p.indexOf("} else if (@fin == 0) {")).includes("@n = count();"), "frozen once asked");
  // The other probes stop printing and counting then too, so the summary and the stream stay in step.
  assert.ok(prog.includes("tracepoint:sched:sched_process_exec /(pid == 4242 || @t[pid]) && @fin == 0/ {"), prog);
  const exit = probe(prog, "tracepoint:sched:sched_process_exit");
  assert.ok(
    exit.startsWith("tracepoint:sched:sched_process_exit /((pid == 4242 || @t[pid]) && @fin == 0) || pid == 77/"),
  );
  // captrace's own end, with bpftrace still running, means it was killed: bpftrace ends too.
  assert.ok(
    exit.includes("  if (pid == 77) {\n    if (curtask->signal->live.counter == 0) { exit(); }\n  } else {"),
    exit,
  );
  const end = probe(prog, "END");
  // END's marker while the root runs: after its end, END may be bpftrace's own exit() (EXIT_FALLBACK_MS).
  assert.ok(
    end.startsWith(
      'END {\n  if (@done == 0) { printf("S begin %llu END\\n", nsecs); } else { printf("S begin %llu\\n", nsecs); }',
    ),
    end,
  );
  assert.ok(end.includes("clear(@fin);"));
  const kp = probe(gen({ probe: "kprobe", controlPid: 77 }), "kprobe:cap_capable");
  assert.ok(kp.includes("if (pid == 77) {\n    if (arg2 == 0 && @fin == 0) {"), kp);
  assert.ok(
    gen({ probe: "kprobe", controlPid: 77 }).includes(
      "kretprobe:cap_capable /(pid == 4242 || @t[pid]) && @in[tid] && @fin == 0/",
    ),
  );
  // Whole-system mode leaves captrace's checks out of the trace, but still hears the request.
  const sys = probe(gen({ mode: "system", excludePids: [77], controlPid: 77 }), "tracepoint:capability:cap_capable");
  assert.ok(sys.startsWith("tracepoint:capability:cap_capable /(pid != 77) || pid == 77/ {"), sys);
  const sysExit = probe(
    gen({ mode: "system", excludePids: [77], controlPid: 77 }),
    "tracepoint:sched:sched_process_exit",
  );
  // One program on the hook: captrace's own end, and the traced processes' (their marks go with them).
  assert.ok(
    sysExit.startsWith(
      "tracepoint:sched:sched_process_exit /@t[pid] || pid == 77/ {\n  if (pid == 77) {\n" +
        "    if (curtask->signal->live.counter == 0) { exit(); }\n  } else {\n",
    ),
    sysExit,
  );
  assert.ok(!gen({ mode: "system", excludePids: [77] }).includes("exit();"));
  // Without a control pid the program is as before: END prints the summary unconditionally.
  assert.ok(
    probe(gen(), "END").startsWith(
      'END {\n  if (@done == 0) { printf("S begin %llu END\\n", nsecs); } else { printf("S begin %llu\\n", nsecs); }',
    ),
  );
  // System-wide, no root ends the trace: END's summary is always marked.
  const sysEnd = probe(gen({ mode: "system", excludePids: [77] }), "END");
  assert.ok(sysEnd.startsWith('END {\n  printf("S begin %llu END\\n", nsecs);'), sysEnd);
});

Deno.test("program with --summary-only counts every check in the kernel and prints none", () => {
  for (const probeKind of ["tracepoint", "kprobe"] as const) {
    const prog = gen({ probe: probeKind, summaryOnly: true });
    assert.ok(!/printf\("[CBR] /.test(prog), prog);
    assert.ok(prog.includes("@agg["));
    assert.ok(prog.includes("@n = count();"));
    assert.ok(prog.includes('printf("X '), "exit records still end the trace");
    assert.ok(probe(prog, "END").includes("print(@p);"));
  }
  // Whole-system mode prints its exec records: @p counts them.
  const sys = generateProgram({ probe: "tracepoint", mode: "system", summaryOnly: true });
  assert.ok(!/printf\("[CBR] /.test(sys) && probe(sys, "END").includes("print(@p);"), sys);
});

Deno.test("program prints each new process with its parent, until the summary is asked for", () => {
  const newtask = (options: Partial<ProgramOptions>) => probe(gen(options), "tracepoint:task:task_newtask");
  assert.equal(
    newtask({ summaryOnly: true, controlPid: 7 }),
    "tracepoint:task:task_newtask /(pid == 4242 || @t[pid])/ {\n  if (!(args->clone_flags & 0x10000)) {\n" +
      "    $child = args->pid;\n    $g = @t[pid]; if ($g == 0) { $g = (uint64)pid; }\n    @t[$child] = $g;\n" +
      '    if (@fin == 0) { @p = count(); printf("F %llu %d %d %llu\\n", nsecs, $child, pid, $g); }\n  }\n}',
  );
  // Without a control pid, every new process (CLONE_THREAD not set) is printed.
  assert.ok(newtask({ summaryOnly: true }).includes('    @t[$child] = $g;\n    @p = count(); printf("F '));
  assert.ok(!gen({ summaryOnly: true }).includes("sched_process_fork"), "one hook follows the children");
  // With per-check records too: a check names the parent its process has then, init for a daemon's child.
  assert.ok(gen({}).includes('printf("F '));
  assert.ok(!gen({}).includes("sched_process_fork"));
  assert.ok(!gen({ summaryOnly: true, follow: false }).includes("task_newtask"));
});

Deno.test("program marks each count with its process's program: its exec's time, or its parent's", () => {
  for (const probeKind of ["tracepoint", "kprobe"] as const) {
    const prog = gen({ probe: probeKind });
    const exec = probe(prog, "tracepoint:sched:sched_process_exec");
    // One reading of the clock: the mark is the exec record's time.
    assert.ok(exec.includes("  $now = nsecs; @t[pid] = $now;\n"), exec);
    assert.ok(exec.includes('printf("N %llu %d %d %u %lx:%lx %lu %s\\t%llu\\t%lu\\n", $now, pid,'), exec);
    assert.equal(exec.match(/nsecs/g)?.length, 1);
    const newtask = probe(prog, "tracepoint:task:task_newtask");
    // A parent with no mark (the root before its exec) gives its pid, as for one that ran before the trace.
    assert.ok(
      newtask.includes("    $g = @t[pid]; if ($g == 0) { $g = (uint64)pid; }\n    @t[$child] = $g;\n"),
      newtask,
    );
    const key = probeKind === "tracepoint"
      ? "@agg[cpu, pid, $cap, $ret, $sys, $init, @t[pid], $fb, $k]++;"
      : "@agg[cpu, pid, @cap[tid], retval, @sys[tid], @init[tid], @t[pid], $fb, @opt[tid]]++;";
    assert.ok(prog.includes(key), prog);
    // --unique prints a key's first check in each program a process runs: the mark is part of it.
    assert.match(gen({ probe: probeKind, unique: true }), /@seen\[.*, @t\[pid\]\] = 1;/);
    assert.match(gen({ probe: probeKind, unique: true, follow: false }), /@seen\[.*, @m\] = 1;/);
    // Gated: the target's exec marks it too.
    const gated = probe(
      gen({ probe: probeKind, mode: "command", launcherExecs: 2 }),
      "tracepoint:sched:sched_process_exec",
    );
    assert.ok(gated.includes("  if (@go) {\n    $now = nsecs; @t[pid] = $now;\n    @p = count();"), gated);
  }
  // The root alone: one mark, its pid until it executes something.
  const alone = gen({ follow: false });
  assert.ok(!alone.includes("@t["), alone);
  assert.ok(probe(alone, "BEGIN").includes("  @m = (uint64)4242;\n"));
  assert.ok(probe(alone, "tracepoint:sched:sched_process_exec").includes("  $now = nsecs; @m = $now;\n"));
  assert.ok(alone.includes("@agg[cpu, pid, $cap, $ret, $sys, $init, @m, $fb, $k]++;"), alone);
  // The whole system: marked by execs too, a new process with none until it executes something.
  const system = gen({ mode: "system" });
  assert.ok(!system.includes("@m") && !system.includes('printf("F '), system);
  assert.ok(system.includes("@agg[cpu, pid, $cap, $ret, $sys, $init, @t[pid], $fb, $k]++;"), system);
});

Deno.test("program notes a refused narrow check and counts the broad check right after it as its fallback", () => {
  for (const probeKind of ["tracepoint", "kprobe"] as const) {
    for (const mode of ["pid", "system"] as const) {
      const prog = gen({ probe: probeKind, mode, excludePids: [7] });
      const [cap, ret, sys] = probeKind === "tracepoint"
        ? ["$cap", "$ret", "$sys"]
        : ["@cap[tid]", "retval", "@sys[tid]"];
      // Every check looks the thread's last refusal up and forgets it; a refused narrow check is remembered.
      assert.ok(
        prog.includes(`  $fs = (uint64)(${sys} + 1); $fc = (uint64)${cap}; $fb = (uint64)0; $nd = @nd[tid];\n`),
        prog,
      );
      assert.ok(
        prog.includes(
          "$n = $nd % 64; if ($nd / 64 == $fs && (($fc == 21 && ($n == 39 || $n == 40 || $n == 41)) || " +
            "($fc == 1 && ($n == 3 || ($n == 4 && ($fs == 133 || $fs == 536870943 || $fs == 236 || " +
            "$fs == 536871184 || $fs == 262 || $fs == 536871212 || $fs == 281 || $fs == 536871233 || " +
            "$fs == 536871325)))))) { $fb = $n - 1; }",
        ),
        prog,
      );
      assert.ok(prog.includes("  delete(@nd[tid]);\n"));
      assert.ok(
        prog.includes(
          `if (${ret} != 0 && ($fc == 38 || $fc == 39 || $fc == 40 || $fc == 2 || $fc == 3)) { ` +
            "@nd[tid] = $fs * 64 + $fc + 1; }",
        ),
        prog,
      );
      // Counted with the rest of the key, and the mark of the program its process runs.
      const mark = "@t[pid]";
      const key = probeKind === "tracepoint"
        ? `@agg[cpu, pid, $cap, $ret, $sys, $init, ${mark}, $fb, $k]++;`
        : `@agg[cpu, pid, @cap[tid], retval, @sys[tid], @init[tid], ${mark}, $fb, @opt[tid]]++;`;
      assert.ok(prog.includes(key), prog);
      assert.ok(probe(prog, "END").includes("clear(@nd);"));
    }
  }
  // Where syscall numbers are not known, the pairs limited to some calls are not made.
  const other = gen({ probe: "kprobe", mode: "system", arch: "aarch64" });
  assert.ok(other.includes("($fc == 1 && ($n == 3))"), other);
  assert.ok(other.includes("($fc == 38 || $fc == 39 || $fc == 40 || $fc == 2))"), other);
});

Deno.test("namesKernelTypes says whether the program names a struct or a tracepoint field through args->", () => {
  const capTracepoint = { cred: 8, targetNs: 16, cap: 32, ret: 36 };
  const newTaskTracepoint = { pid: 8, cloneFlags: 32 };
  const cgroupTracepoint = { root: 8, id: 16, path: 24 };
  const offsetsVariants = [
    undefined,
    OFFSETS,
    { ...OFFSETS, capTracepoint },
    { ...OFFSETS, newTaskTracepoint },
    { ...OFFSETS, capTracepoint, newTaskTracepoint },
    { ...OFFSETS, capTracepoint, newTaskTracepoint, cgroupTracepoint },
  ];
  const cgroups = [undefined, { path: "/a", ids: [1] }, { path: "/", ids: [1] }];
  let without = 0;
  for (const offsets of offsetsVariants) {
    for (const probe of ["tracepoint", "kprobe"] as const) {
      for (const mode of ["command", "pid", "system"] as const) {
        for (const [follow, cgroup] of [true, false].flatMap((f) => cgroups.map((c) => [f, c] as const))) {
          const options: ProgramOptions = {
            probe,
            mode,
            follow,
            ...(mode === "system" ? { excludePids: [7] } : { rootPid: 4242 }),
            ...(offsets ? { offsets } : {}),
            ...(cgroup && mode === "system" ? { cgroup } : {}),
          };
          const names = /args->|struct /.test(generateProgram(options));
          const what = JSON.stringify({ ...options, offsets: offsets && Object.keys(offsets).length });
          assert.equal(namesKernelTypes(options), names, what);
          if (!names) without++;
        }
      }
    }
  }
  assert.ok(without > 0);
});

/** True when `text` holds `first`, and `then` after it. */
function _before(text: string, first: string, then: string): boolean {
  const at = text.indexOf(first);
  return at >= 0 && text.indexOf(then, at) > at;
}

Deno.test("a command's kill(0) or kill(-pgid) of the process group it shares with captrace is marked, only then", () => {
  const shared = generateProgram({ probe: "tracepoint", mode: "command", rootPid: 4242, sharedPgid: 4200 });
  assert.match(shared, /\$pg = \(int32\)\$a0; if \(\$pg == 0 \|\| \$pg == -4200\) \{ \$tol = 1; \}/);
  assert.match(shared, /\(\$sys == 62 \|\| \$sys == \d+\) && \$cap == 5/);
  for (const other of [{}, { mode: "pid", sharedPgid: 4200 }]) {
    const program = generateProgram(
      { probe: "tracepoint", mode: "command", rootPid: 4242, ...other } as ProgramOptions,
    );
    assert.doesNotMatch(program, /\$pg = /, JSON.stringify(other));
  }
  // The stream's mark counts for a refused CAP_KILL in kill only.
  assert.ok(doneWithout("kill", 5, -1) && !doneWithout("kill", 5, 0) && !doneWithout("tgkill", 5, -1));
});
