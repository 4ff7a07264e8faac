/** Generates the bpftrace program for either probe kind, with the traced set kept in the kernel. */

import {
  CAP_KILL,
  CAP_SETGID,
  CAP_SETPCAP,
  CAP_SETUID,
  CAPABILITY_NAMES,
  FALLBACK_CALLS,
  FALLBACK_OF,
} from "./capabilities.ts";
import type { ProbeKind } from "./event.ts";
import type { KernelOffsets } from "./kernel_offsets.ts";
import { X86_64_SYSCALLS } from "./syscalls_x86_64.ts";
import { I386_SYSCALLS } from "./syscalls_i386.ts";
import { I386_SYSCALL } from "./syscalls.ts";
import { INIT_USER_NS, initialOrUnknown } from "./user_namespace.ts";

/** What the generated program should trace and how. */
export interface ProgramOptions {
  probe: ProbeKind;
  /** Meaning of cap_capable's 4th argument on the kprobe path: a CAP_OPT_* bitmask (5.1+) or the old audit int. */
  kprobeOptsArg?: "opts" | "audit";
  mode: "command" | "pid" | "system";
  /** Root process of the traced tree (command and pid modes). */
  rootPid?: number;
  /** Follow children through fork/clone (default true). */
  follow?: boolean;
  /** Command mode: how many execs the launcher makes before the target runs; checks before are the launcher's. */
  launcherExecs?: number;
  /** Print each distinct (process, capability, verdict, syscall, stack, site) once; the kernel counts the rest. */
  unique?: boolean;
  /** Print no per-check records: the kernel only counts (the summary is all there is). */
  summaryOnly?: boolean;
  /** Capture the user return address and code start for source locations. */
  sites?: boolean;
  /**
   * Pid mode: processes that existed before attaching, tracked from the start with all their threads: the root and
   * its descendants.
   */
  preTracked?: readonly number[];
  /** System mode: processes to leave out (captrace). */
  excludePids?: readonly number[];
  /**
   * System mode: children of this process are left out too. captrace's tracer, bpftrace, is its child, and makes
   * checks of its own while it traces (CAP_SYSLOG to read the kernel's symbols, CAP_BPF for its maps); its pid is not
   * known when the program is written.
   */
  excludeChildrenOf?: number;
  /**
   * System mode: only processes in these cgroups: `ids` are cgroup v2 ids, those of the cgroup at `path` (from the
   * hierarchy's root, "/system.slice/nginx.service") and of every cgroup below it. Cgroups made below it while the
   * trace runs are added as they are made, when `path` is at most CGROUP_PATH_MAX bytes.
   */
  cgroup?: { path: string; ids: readonly number[] };
  /**
   * captrace's own pid. A CAP_CHOWN check it makes on purpose (a chown of a file of its own) makes the program
   * print its summary at once, probes still attached; stopping bpftrace with SIGINT instead makes it detach every
   * tracepoint first, about 75 ms each, before END prints the same.
   */
  controlPid?: number;
  /**
   * Command mode: the process group the command starts in when captrace (root) is in it too: a `-u` command's
   * kill(0, …) is then refused captrace alone, a check without captrace would not be made (see _tolerated).
   */
  sharedPgid?: number;
  /** Kernel architecture; the syscall number is read from saved registers only on x86_64. */
  arch?: string;
  /**
   * Struct offsets from this kernel's BTF: fields are then read raw, which spares bpftrace about a second of
   * compiling struct definitions at start. Without them the program names the structs.
   */
  offsets?: KernelOffsets;
}

/** Frames of kernel stack printed with each tracepoint check, enough to see the audit-relevant caller. */
export const KSTACK_DEPTH = 4;

/**
 * After the root process ended, how long the program waits for captrace to stop it before it calls exit()
 * itself (a safety net only: see the exit probe).
 */
export const EXIT_FALLBACK_MS = 3000;

/** How many words of the user stack are scanned for a return address into the program. */
export const SITE_SCAN_WORDS = 32;

/**
 * The longest cgroup path whose new sub-cgroups the program sees, where it knows the cgroup_mkdir record's layout:
 * their paths are compared to it and a `/` in the kernel, in strings of at most 200 bytes (the BPFTRACE_STRLEN
 * captrace gives bpftrace, 0.17's most). Without the layout, 62.
 */
export const CGROUP_PATH_MAX = 198;

/** The longest string literal bpftrace 0.17 takes: 64 bytes with its NUL. */
const _LITERAL_MAX = 63;

/**
 * True when the program adds cgroups made below the traced one as they are made: its path is short enough to
 * compare, and written in plain characters (no quote or backslash: bpftrace's string literals escape few).
 */
export function watchesNewCgroups(options: ProgramOptions): boolean {
  const path = options.cgroup?.path;
  if (path === undefined || path === "/" || !/^[\x20-\x7e]+$/.test(path) || /["\\]/.test(path)) return false;
  // Compared whole through args->, in pieces at the record's offsets (see _cgroupMade).
  return path.length + 1 <= (options.offsets?.cgroupTracepoint ? CGROUP_PATH_MAX + 1 : _LITERAL_MAX);
}

/** bpftrace expressions for the kernel fields the program reads. */
interface _Fields {
  /** Sets $regs: the task's saved user registers (x86_64: pt_regs at the top of the 16 KiB kernel stack). */
  regs: string;
  /** Non-zero when the task has a user address space (not a kernel thread). */
  mm: string;
  /**
   * Non-zero for an io_uring worker or polling thread (PF_IO_WORKER): it shares its process's address space, but makes
   * no syscall of its own, and its saved registers are a copy of its creator's.
   */
  ioWorker: string;
  origAx: string;
  sp: string;
  startCode: string;
  endCode: string;
  ppid: string;
  live: string;
  /**
   * The exiting thread's wait status, with the group exit's core-dumped bit (0x80): when another thread of the
   * process wrote the core, the last one's own status lacks it, while a parent's wait reports it.
   */
  exitCode: string;
  /**
   * The file name an exec was given, read where the kernel left it: on the new stack right after the environment
   * strings (`mm->env_end`, the address AT_EXECFN gives the program). It is the string the exec tracepoint's
   * `filename` holds, read without `args`, which bpftrace 0.17 compiles with clang (about 30 ms more at start).
   */
  execFilename: string;
  /**
   * The task's mount namespace (its inode) and root directory (its dentry's and mount's addresses, and its inode
   * number): where an exec looked its file up.
   */
  mntNs: string;
  rootPtr: string;
  rootMnt: string;
  rootIno: string;
  /** The inode number of the file the task's program runs (`mm->exe_file`), 0 when not known. */
  exeIno: string;
  /** When the task's process started (its group leader's start time, ns since boot): with the pid, its identity. */
  startTime: string;
  /** uid, euid and user namespace inode of a `struct cred *` expression. */
  uid(cred: string): string;
  euid(cred: string): string;
  /** gid, saved uid and saved gid of a `struct cred *` expression. */
  gid(cred: string): string;
  suid(cred: string): string;
  sgid(cred: string): string;
  /** A saved user register, from $regs (see regs), as a uint64: the syscall's arguments. */
  reg(name: "di" | "si" | "bx" | "cx"): string;
  /** Non-zero during a 32-bit syscall (the task's TS_COMPAT status bit). */
  compat: string;
  /**
   * The inheritable and permitted sets of a `struct cred *` expression, or'd, as a uint64; null where not read (the
   * named-struct form: kernel_cap_t changed shape in 6.3).
   */
  capsHeld: ((cred: string) => string) | null;
  /** A cred's user namespace, as an address. */
  credNsPtr(cred: string): string;
  /** A user namespace's parent (an address, 0 for the initial one) and its owner's uid, given its address. */
  nsParent(ns: string): string;
  nsOwner(ns: string): string;
  credNs(cred: string): string;
  /** Inode of a `struct user_namespace *` expression. */
  nsInum(ns: string): string;
}

/** The task flag of an io_uring worker (include/linux/sched.h). */
const _PF_IO_WORKER = 0x10;

const TYPED: _Fields = {
  regs: "$regs = (struct pt_regs *)((uint64)curtask->stack + 16384 - sizeof(struct pt_regs));",
  mm: "curtask->mm",
  ioWorker: `(curtask->flags & ${_PF_IO_WORKER})`,
  origAx: "(int64)$regs->orig_ax",
  sp: "(uint64)$regs->sp",
  startCode: "(uint64)curtask->mm->start_code",
  endCode: "(uint64)curtask->mm->end_code",
  ppid: "curtask->real_parent->tgid",
  live: "curtask->signal->live.counter",
  exitCode: "(curtask->exit_code | (curtask->signal->group_exit_code & 0x80))",
  execFilename: "str(uptr(curtask->mm->env_end))",
  mntNs: "curtask->nsproxy->mnt_ns->ns.inum",
  rootPtr: "(uint64)curtask->fs->root.dentry",
  rootMnt: "(uint64)curtask->fs->root.mnt",
  // bpftrace 0.17 finds no i_ino in inode by name: the root's inode is then not known (0).
  rootIno: "(uint64)0",
  exeIno: "(uint64)0",
  startTime: "curtask->group_leader->start_time",
  uid: (c) => `${c}->uid.val`,
  euid: (c) => `${c}->euid.val`,
  gid: (c) => `${c}->gid.val`,
  suid: (c) => `${c}->suid.val`,
  sgid: (c) => `${c}->sgid.val`,
  reg: (name) => `(uint64)$regs->${name}`,
  compat: "(curtask->thread_info.status & 2)",
  capsHeld: null,
  credNsPtr: (c) => `(uint64)${c}->user_ns`,
  nsParent: (n) => `(uint64)((struct user_namespace *)${n})->parent`,
  nsOwner: (n) => `((struct user_namespace *)${n})->owner.val`,
  credNs: (c) => `${c}->user_ns->ns.inum`,
  nsInum: (n) => `${n}->ns.inum`,
};

function _raw(o: KernelOffsets): _Fields {
  const task = (off: number) => `((uint64)curtask + ${off})`;
  const ptr = (addr: string) => `*(uint64 *)${addr}`;
  const fs = ptr(task(o.taskFs));
  const rootDentry = ptr(`(${fs} + ${o.fsRootDentry})`);
  return {
    regs: `$regs = ${ptr(task(o.taskStack))} + 16384 - ${o.ptRegsSize};`,
    mm: ptr(task(o.taskMm)),
    ioWorker: `(*(uint32 *)${task(o.taskFlags)} & ${_PF_IO_WORKER})`,
    origAx: `*(int64 *)($regs + ${o.ptRegsOrigAx})`,
    sp: `*(uint64 *)($regs + ${o.ptRegsSp})`,
    startCode: `*(uint64 *)(${ptr(task(o.taskMm))} + ${o.mmStartCode})`,
    endCode: `*(uint64 *)(${ptr(task(o.taskMm))} + ${o.mmEndCode})`,
    ppid: `*(int32 *)(${ptr(task(o.taskRealParent))} + ${o.taskTgid})`,
    live: `*(int32 *)(${ptr(task(o.taskSignal))} + ${o.signalLive})`,
    exitCode: `(*(int32 *)${task(o.taskExitCode)} | (*(int32 *)(${
      ptr(task(o.taskSignal))
    } + ${o.signalGroupExitCode}) & 0x80))`,
    execFilename: `str(uptr(*(uint64 *)(${ptr(task(o.taskMm))} + ${o.mmEnvEnd})))`,
    mntNs: `*(uint32 *)(${ptr(`(${ptr(task(o.taskNsproxy))} + ${o.nsproxyMntNs})`)} + ${o.mntNsInum})`,
    rootPtr: rootDentry,
    rootMnt: ptr(`(${fs} + ${o.fsRootMnt})`),
    rootIno: `*(uint64 *)(${ptr(`(${rootDentry} + ${o.dentryInode})`)} + ${o.inodeIno})`,
    exeIno: `*(uint64 *)(${
      ptr(`(${ptr(`(${ptr(task(o.taskMm))} + ${o.mmExeFile})`)} + ${o.fileInode})`)
    } + ${o.inodeIno})`,
    startTime: `*(uint64 *)(${ptr(task(o.taskGroupLeader))} + ${o.taskStartTime})`,
    uid: (c) => `*(uint32 *)((uint64)${c} + ${o.credUid})`,
    euid: (c) => `*(uint32 *)((uint64)${c} + ${o.credEuid})`,
    gid: (c) => `*(uint32 *)((uint64)${c} + ${o.credGid})`,
    suid: (c) => `*(uint32 *)((uint64)${c} + ${o.credSuid})`,
    sgid: (c) => `*(uint32 *)((uint64)${c} + ${o.credSgid})`,
    reg: (name) => {
      const off = { di: o.ptRegsDi, si: o.ptRegsSi, bx: o.ptRegsBx, cx: o.ptRegsCx }[name];
      return `*(uint64 *)($regs + ${off})`;
    },
    compat: `(*(uint32 *)${task(o.taskThreadInfoStatus)} & 2)`,
    capsHeld: (c) =>
      `(*(uint64 *)((uint64)${c} + ${o.credCapInheritable}) | *(uint64 *)((uint64)${c} + ${o.credCapPermitted}))`,
    credNsPtr: (c) => `*(uint64 *)((uint64)${c} + ${o.credUserNs})`,
    nsParent: (n) => `*(uint64 *)(${n} + ${o.nsParent})`,
    nsOwner: (n) => `*(uint32 *)(${n} + ${o.nsOwner})`,
    credNs: (c) => `*(uint32 *)(*(uint64 *)((uint64)${c} + ${o.credUserNs}) + ${o.nsInum})`,
    nsInum: (n) => `*(uint32 *)((uint64)${n} + ${o.nsInum})`,
  };
}

// kprobe arguments of cap_capable(cred, targ_ns, cap, opts), typed for the named-struct form.
const CRED0 = "((struct cred *)arg0)";
const NS1 = "((struct user_namespace *)arg1)";

function _syscallExpr(arch: string, f: _Fields): { setup: string; value: string } {
  if (arch !== "x86_64") return { setup: "", value: "(int64)-1" };
  return { setup: f.regs, value: `(${f.mm} == 0 || ${f.ioWorker} != 0 ? (int64)-1 : ${f.origAx})` };
}

function _siteCode(options: ProgramOptions, arch: string, f: _Fields): string {
  if (!options.sites || arch !== "x86_64") {
    return "$ra = (uint64)0; $cs = (uint64)0;";
  }
  // libc's syscall wrappers push no frame, so ustack misses the caller: scan the raw user stack instead. A word into
  // the program's code is a return address only after a call instruction ($ra0, the first such): not a function
  // pointer kept on the stack (nftw's callback). The caller of the library is the first whose call goes through the
  // PLT ($ra): a stale return address of an earlier call to one of the program's own functions, left in the library's
  // frame below, is passed over. None of those (the program made the syscall itself): the first after a call.
  return [
    "$ra = (uint64)0; $cs = (uint64)0;",
    `if (${f.mm} != 0 && ${f.ioWorker} == 0) {`,
    `    $cs = ${f.startCode}; $ce = ${f.endCode}; $sp = ${f.sp}; $ra0 = (uint64)0;`,
    `    unroll(${SITE_SCAN_WORDS}) { if ($ra == 0) { $w = (uint64)*(uint64 *)uptr($sp);`,
    "      if ($w >= $cs + 8 && $w < $ce) {",
    // The 8 bytes before it, read at once: call rel32 (E8 at -5), call *disp32(%rip) (FF 15 at -6: through the GOT,
    // -fno-plt), call *%reg (FF D0+r at -2).
    "        $b = *(uint64 *)uptr($w - 8); $e8 = (($b >> 24) & 0xff) == 0xe8; $got = (($b >> 16) & 0xffff) == 0x15ff;",
    "        if ($e8 || $got || (($b >> 48) & 0xf8ff) == 0xd0ff) {",
    "          if ($ra0 == 0) { $ra0 = $w; }",
    "          if ($got) { $ra = $w; }",
    "          if ($e8) {",
    // The callee's first bytes: a PLT entry jumps through the GOT (FF 25), after endbr64 (F3 0F 1E FA) and a bnd
    // prefix (F2) with IBT.
    "            $t = $w + (uint64)(int64)(int32)($b >> 32); $i = *(uint64 *)uptr($t);",
    "            if (($i & 0xffff) == 0x25ff || (($i & 0xffffffff) == 0xfa1e0ff3 && (($i >> 32) & 0xffff) == 0x25ff) ||",
    "              (($i & 0xffffffff) == 0xfa1e0ff3 && (($i >> 32) & 0xffffff) == 0x25fff2)) { $ra = $w; }",
    "          }",
    "        }",
    "      }",
    "      $sp += 8; } }",
    "    if ($ra == 0) { $ra = $ra0; }",
    "  }",
  ].join("\n  ");
}

/**
 * Sets $cred, $tns, $cap and $ret from the tracepoint's record. bpftrace 0.17 spends about 50 ms compiling each
 * `args->` it meets: with the record's layout known, `args` is read once and the fields at their offsets;
 * otherwise each field is still read only once.
 */
function _tracepointFields(offsets: KernelOffsets | undefined): string[] {
  const o = offsets?.capTracepoint;
  if (!o) return ["  $cred = args->cred; $tns = args->target_ns; $cap = args->cap; $ret = args->ret;"];
  return [
    `  $tp = (uint64)args; $cred = *(uint64 *)($tp + ${o.cred}); $tns = *(uint64 *)($tp + ${o.targetNs});`,
    `  $cap = *(int32 *)($tp + ${o.cap}); $ret = *(int32 *)($tp + ${o.ret});`,
  ];
}

/** The predicate selecting traced tasks, or "" for the whole system. */
function _tracked(options: ProgramOptions, f: _Fields): string {
  if (options.mode === "system") {
    const ex = (options.excludePids ?? []).map((p) => `pid != ${p}`);
    if (options.excludeChildrenOf !== undefined) ex.push(`${f.ppid} != ${options.excludeChildrenOf}`);
    // The hierarchy's root holds every process: no filter.
    if (options.cgroup && options.cgroup.path !== "/") ex.push("@cg[cgroup]");
    return ex.join(" && ");
  }
  const root = _root(options);
  if (options.follow === false) return `pid == ${root}`;
  return `(pid == ${root} || @t[pid])`;
}

function _root(options: ProgramOptions): number {
  const root = options.rootPid;
  if (root === undefined || !Number.isInteger(root) || root <= 0) {
    throw new RangeError(`A root pid is needed in ${options.mode} mode`);
  }
  return root;
}

/** Launcher checks happen in the root process before the target's exec: gate on the exec count. */
function _gated(options: ProgramOptions, tracked: string): string {
  return _hasGate(options) ? `@go && ${tracked}` : tracked;
}

/** Command mode with a launcher whose execs come before the target's: its checks are counted apart. */
function _hasGate(options: ProgramOptions): boolean {
  return options.mode === "command" && (options.launcherExecs ?? 0) > 0;
}

function _and(...parts: string[]): string {
  const all = _all(...parts);
  return all === "" ? "" : `/${all}/`;
}

/** The conditions that are not empty, joined with &&: a filter's condition without its slashes. */
function _all(...parts: string[]): string {
  return parts.filter((x) => x !== "").join(" && ");
}

/** A filter for `cond`, or for `pid` itself (captrace's own process); none when `cond` is empty. */
function _orPid(cond: string, pid: number): string {
  return cond === "" ? "" : `/(${cond}) || pid == ${pid}/`;
}

/**
 * The bpftrace program text.
 *
 * Records, one per line (fields separated by single spaces, free text last):
 * - `READY <nsecs> <mnt_ns> <root>` from BEGIN, once every probe is attached, with bpftrace's (captrace's) mount
 *   namespace and root directory, as an exec record gives them; on the tracepoint, then `W` and BEGIN's own kernel
 *   stack (indented frames, no empty line), printed only to have bpftrace read the kernel's symbols early;
 * - `C <ts> <pid> <tid> <ppid> <uid> <euid> <cap> <ret> <sys> <userns> <target_ns> <ra> <cs> <comm>` then
 *   `KSTACK_DEPTH` indented kernel frames and an empty line (tracepoint);
 * - `B <ts> <pid> <tid> <ppid> <uid> <euid> <cap> <opts> <sys> <userns> <target_ns> <ra> <cs> <comm>` at
 *   kprobe entry and `R <ts> <tid> <ret>` at return (kprobe);
 * - `T <ts> <tid>` right before the `C` or `B` record of a check its syscall does without when refused (see
 *   _tolerated);
 * - `P <ts> <pid> <start>` with --unique, before the `C` or `R` record of the first check printed for a process that
 *   took the pid of an earlier one that printed a check: its start time (ns since boot), which the keys of the checks
 *   shown once include (see _reusedPid);
 * - `N <ts> <pid> <ppid> <mnt_ns> <root> <root_ino> <filename>\t<ts>\t<exe_ino>` for an exec (the namespace and root
 *   directory it looked the file up in: its dentry's and mount's addresses in hex, `dentry:mount`, and its inode, 0
 *   when not known; the file name, which may hold newlines, ends with a tab and the record's time; then the inode
 *   number of the file executed, 0 when not known, absent from older programs' records), `X <ts> <pid> <exit_code>
 *   <root>` for a process's end (older programs printed execs as `E`, without the end); system-wide, execs only;
 * - `F <ts> <child> <pid> <mark>` for a new process (not a thread) of the traced tree, with the mark of its
 *   parent's program (below);
 * - between `S begin <ts>` and `S end <ts>`, asked for or at END (`S begin <ts> END` while the root runs):
 *   `@n: <checks>`, `@launcher: <launcher checks>` and the exact per-key counts
 *   `@agg[cpu, pid, cap, ret, sys, init, program, fallback, kstack or opts]: n`, one per CPU the key was counted on:
 *   `init` is 1 when the checking process was in the initial user namespace, 0 for any other, 3 for a check its
 *   syscall does without (in the initial namespace), 9 for a setuid(0) or setgid(0) refused to a process with no
 *   root id (there too), 4 for one of another namespace checked against the initial one (see _initNs, _tolerated);
 *   `program` marks the program the process ran: the `ts` of its exec record, which a new process takes from its
 *   parent, or for one that ran before the trace (or a child of the root before its exec), its process's pid;
 *   system-wide, the `ts` of its exec record, or 0 for a process that executed nothing while traced; `fallback` is
 *   the narrow capability a broad check stood in for, or 0 (see _fallback).
 */
export function generateProgram(options: ProgramOptions): string {
  const arch = options.arch ?? "x86_64";
  const f = options.offsets ? _raw(options.offsets) : TYPED;
  const tracked = _tracked(options, f);
  const gated = _gated(options, tracked);
  const [cred0, ns1] = options.offsets ? ["arg0", "arg1"] : [CRED0, NS1];
  const sys = _syscallExpr(arch, f);
  const site = _siteCode(options, arch, f);
  const follow = _follows(options);
  // The mark of the program a check's process runs: by pid, but for the root alone (--no-follow).
  const mark = follow || options.mode === "system" ? "@t[pid]" : "@m";
  const pgid = options.mode === "command" && options.sharedPgid !== undefined ? options.sharedPgid : null;
  const out: string[] = [];

  out.push("BEGIN {");
  // A followed process's @t value (by its pid: every thread of it is traced) marks the program it runs (see
  // ProgramMap.programMarked): the time of that program's exec record, or for a program that ran before the trace,
  // its process's pid (no exec is that close to boot).
  for (const pid of options.preTracked ?? []) out.push(`  @t[${pid}] = (uint64)${pid};`);
  // Without following, only the root is traced: one mark.
  if (!follow && options.mode === "pid") out.push(`  @m = (uint64)${_root(options)};`);
  if (options.mode === "system" && options.cgroup?.path !== "/") {
    for (const id of options.cgroup?.ids ?? []) out.push(`  @cg[(uint64)${id}] = 1;`);
  }
  out.push(`  printf("READY %llu %u %lx:%lx\\n", nsecs, ${f.mntNs}, ${f.rootPtr}, ${f.rootMnt});`);
  // bpftrace reads the kernel's symbols (/proc/kallsyms) the first time it prints a kernel stack, which holds up
  // everything it prints for about 65 ms. A stack printed right after READY has it read while the command starts,
  // not when its first check comes, nor at the end of a --summary-only trace (whose counts are keyed by stacks).
  if (options.probe === "tracepoint") out.push(`  printf("W%s", kstack(${KSTACK_DEPTH}));`);
  out.push("}", "");

  // One program per hook: a second program on the same tracepoint costs bpftrace about 0.6 s more at start.
  // With a launch gate the check hook takes the launcher's checks too, counting them until the target's exec.
  const gate = _hasGate(options);
  const hook = gate ? tracked : gated;
  const wrap = (body: string[]): string[] =>
    gate ? ["  if (@go == 0) {", "    @launcher = count();", "  } else {", ...body.map((l) => `  ${l}`), "  }"] : body;
  const summary = _summary(options);
  // The check hook also hears captrace's own request for the summary (see controlPid); once it came, the other
  // probes stop counting and printing too.
  const control = options.controlPid;
  const live = control === undefined ? "" : "@fin == 0";
  const checkHook = (header: string, fields: string[], cap: string, body: string[]): string[] => {
    if (control === undefined) return [`${header} ${_and(hook)} {`, ...fields, ...wrap(body), "}", ""];
    return [
      `${header} ${_orPid(hook, control)} {`,
      ...fields,
      `  if (pid == ${control}) {`,
      `    if (${cap} == 0 && @fin == 0) {`,
      "      @fin = 1;",
      ...summary.map((l) => `      ${l}`),
      "    }",
      // Once the summary is asked for, nothing more is counted or printed: it and the stream stay in step.
      "  } else if (@fin == 0) {",
      ...wrap(body).map((l) => `  ${l}`),
      "  }",
      "}",
      "",
    ];
  };

  // Both check hooks begin alike: the saved registers when needed, the syscall number, the call site.
  const prologue = [...(sys.setup || options.sites ? [`  ${f.regs}`] : []), `  $sys = ${sys.value};`];
  // A 32-bit syscall (a 32-bit program's, or int 0x80) is numbered from the i386 table: marked apart.
  if (arch === "x86_64") prologue.push(`  if ($sys >= 0 && ${f.compat} != 0) { $sys = $sys + ${I386_SYSCALL}; }`);
  prologue.push(...`  ${site}`.split("\n"));

  if (options.probe === "tracepoint") {
    const body = [...prologue];
    // Each kstack() is a stack walk of its own (bpf_get_stackid): take it once per check.
    body.push(`  @n = count();`, `  $k = kstack(${KSTACK_DEPTH});`);
    body.push(`  $init = ${_initNs(f.credNs("$cred"), f.nsInum("$tns"))};`);
    body.push(..._tolerated(arch, f, "$cred", "$cap", "$ret", pgid).map((l) => `  ${l}`));
    body.push(..._owned(f, "$cred", "$tns").map((l) => `  ${l}`));
    body.push(..._fallback("$cap", "$ret", "$sys", arch).map((l) => `  ${l}`));
    const key = "pid, $cap, $ret, $sys, $init, $k";
    body.push(`  ${_countExact(`pid, $cap, $ret, $sys, $init, ${mark}, $fb, $k`)}`);
    const print = [
      `  if ($tol == 1) { @p = count(); printf("T %llu %d\\n", nsecs, tid); }`,
      "  @p = count();",
      `  printf("C %llu %d %d %d %d %d %d %d %lld %u %u %lx %lx %s%s\\n", nsecs, pid, tid,`,
      `    ${f.ppid}, ${f.uid("$cred")}, ${f.euid("$cred")}, $cap, $ret, $sys,`,
      `    ${f.credNs("$cred")}, ${f.nsInum("$tns")}, $ra, $cs, comm, $k);`,
    ];
    if (options.summaryOnly) {
      // counted above, printed never
    } else if (options.unique) {
      // Keyed by process (its pid and start) and by the program it runs (its mark), as well as by the check.
      const seen = `@seen[${key}, $ra, $st, ${mark}]`;
      body.push(`  $st = ${f.startTime};`, `  if (${seen} == 0) {`, `    ${seen} = 1;`);
      body.push(..._reusedPid("$st").map((l) => `    ${l}`), ...print.map((l) => `  ${l}`), "  }");
    } else {
      body.push(...print);
    }
    out.push(...checkHook("tracepoint:capability:cap_capable", _tracepointFields(options.offsets), "$cap", body));
  } else {
    const opts = options.kprobeOptsArg === "audit"
      // Before 5.1 the 4th argument was `int audit` (1 = audit): map it onto CAP_OPT_NOAUDIT (2).
      ? "(arg3 == 0 ? 2 : 0)"
      : "arg3";
    const body = [...prologue];
    body.push(`  $init = ${_initNs(f.credNs(cred0), f.nsInum(ns1))};`);
    // The verdict comes at the return: the entry tells only whether a refusal would be done without (a check the
    // process owes to owning the namespace is allowed, whatever it holds).
    body.push(..._tolerated(arch, f, cred0, "arg2", null, pgid).map((l) => `  ${l}`));
    body.push(..._owned(f, cred0, ns1).map((l) => `  ${l}`));
    body.push(`  @in[tid] = 1; @cap[tid] = arg2; @opt[tid] = ${opts}; @sys[tid] = $sys; @init[tid] = $init;`);
    // --unique with --sites: the call site is part of the key the return is printed for, as on the tracepoint (where
    // it is read: on x86_64).
    const siteKey = options.unique && options.sites && !options.summaryOnly && arch === "x86_64";
    if (siteKey) body.push("  @ra[tid] = $ra;");
    if (!options.summaryOnly) {
      body.push(
        `  if ($tol == 1) { @p = count(); printf("T %llu %d\\n", nsecs, tid); }`,
        "  @p = count();",
        `  printf("B %llu %d %d %d %d %d %d %d %lld %u %u %lx %lx %s\\n", nsecs, pid, tid,`,
        `    ${f.ppid}, ${f.uid(cred0)}, ${f.euid(cred0)}, arg2, ` + opts + ", $sys,",
        `    ${f.credNs(cred0)}, ${f.nsInum(ns1)}, $ra, $cs, comm);`,
      );
    }
    out.push(...checkHook("kprobe:cap_capable", [], "arg2", body));
    // The return is only counted when its entry was seen; the map holds the entry's arguments meanwhile.
    out.push(`kretprobe:cap_capable ${_and(gated, "@in[tid]", live)} {`);
    out.push("  @n = count();");
    const key = "pid, @cap[tid], retval, @sys[tid], @init[tid], @opt[tid]" + (siteKey ? ", @ra[tid]" : "") +
      `, $st, ${mark}`;
    if (options.summaryOnly) {
      // counted below, printed never
    } else if (options.unique) {
      out.push(`  $st = ${f.startTime};`, `  if (@seen[${key}] == 0) {`, `    @seen[${key}] = 1;`);
      out.push(..._reusedPid("$st").map((l) => `    ${l}`));
      out.push('    @p = count(); printf("R %llu %d %d\\n", nsecs, tid, retval);', "  }");
    } else {
      out.push('  @p = count(); printf("R %llu %d %d\\n", nsecs, tid, retval);');
    }
    out.push(..._fallback("@cap[tid]", "retval", "@sys[tid]", arch).map((l) => `  ${l}`));
    out.push(
      `  ${_countExact(`pid, @cap[tid], retval, @sys[tid], @init[tid], ${mark}, $fb, @opt[tid]`)}`,
    );
    out.push(
      "  delete(@in[tid]); delete(@cap[tid]); delete(@opt[tid]); delete(@sys[tid]); delete(@init[tid]);" +
        (siteKey ? " delete(@ra[tid]);" : ""),
      "}",
      "",
    );
  }

  if (follow) {
    // Each new process with its parent, for the program its checks are charged to: a check record names the parent
    // it has then, which for a daemon's child is init, and --summary-only prints none. task_newtask, unlike
    // sched_process_fork, tells a new thread (CLONE_THREAD) from a new process, at the same cost.
    const { record, child, flags } = _newTaskFields(options.offsets);
    // A new process runs its parent's program: it takes the parent's mark (the parent's pid when it has none: the
    // root before its exec), which its record gives. A new thread (CLONE_THREAD) is traced by its process's entry.
    const print = '@p = count(); printf("F %llu %d %d %llu\\n", nsecs, $child, pid, $g);';
    out.push(`tracepoint:task:task_newtask ${_and(gated)} {`, ...record);
    out.push(`  if (!(${flags} & 0x10000)) {`, `    ${child}`);
    out.push("    $g = @t[pid]; if ($g == 0) { $g = (uint64)pid; }", "    @t[$child] = $g;");
    out.push(live === "" ? `    ${print}` : `    if (${live}) { ${print} }`, "  }", "}", "");
  }

  // The exec's time marks the program from now on (see ProgramMap.programMarked).
  const exec = [
    `$now = nsecs; ${mark} = $now;`,
    `@p = count(); printf("N %llu %d %d %u %lx:%lx %lu %s\\t%llu\\t%lu\\n", $now, pid, ${f.ppid}, ` +
    `${f.mntNs}, ${f.rootPtr}, ${f.rootMnt}, ${f.rootIno}, ${f.execFilename}, $now, ${f.exeIno});`,
  ];
  if (options.mode !== "system") {
    if (gate) {
      // The root's execs open the gate: the last of the launcher's is the target's.
      out.push(`tracepoint:sched:sched_process_exec ${_and(tracked, live)} {`);
      out.push(`  if (pid == ${_root(options)}) { @execs++; if (@execs == ${options.launcherExecs}) { @go = 1; } }`);
      out.push("  if (@go) {", ...exec.map((l) => `    ${l}`), "  }", "}", "");
    } else {
      out.push(`tracepoint:sched:sched_process_exec ${_and(gated, live)} {`, ...exec.map((l) => `  ${l}`), "}", "");
    }
    const root = _root(options);
    // signal->live drops to zero when the last thread of the process exits (group_dead is not on older kernels).
    const exit = [
      `if (${f.live} == 0) {`,
      `  ${_exitRecord(f, `pid == ${root} ? 1 : 0`)}`,
      `  if (pid == ${root}) { @done = 1; }`,
      // Its entry, by pid, lasts as long as the process: a main thread that ends before the others (a thread's exec
      // ends it, and the exec'ing thread takes its id) leaves it.
      ...(follow ? ["  delete(@t[pid]);"] : []),
      "}",
      "delete(@nd[tid]);",
    ];
    out.push(..._exitProbe(_all(tracked, live), exit, control, f));
    // No exit() here: bpftrace ignores every event it reads after processing an exit(), and records made
    // just before on another CPU may still be unread. captrace sends SIGINT once the stream is quiet (bpftrace
    // then drains every buffer after END); exit() only happens if that never comes.
    out.push(`interval:ms:${EXIT_FALLBACK_MS / 4} /@done/ { @done++; if (@done > 4) { exit(); } }`, "");
  }

  if (options.mode === "system" && watchesNewCgroups(options)) {
    out.push(..._cgroupMade(options.cgroup!.path, options.offsets));
  }

  if (options.mode === "system") {
    // Whole-system too, each exec marks its process's program and names its file: the checks a wrapper (a script,
    // setpriv) makes before it executes its program are the wrapper's, not the program's. A process's mark goes with
    // it: the map holds the processes that executed something while traced.
    out.push(`tracepoint:sched:sched_process_exec ${_and(tracked, live)} {`, ...exec.map((l) => `  ${l}`), "}", "");
    // A new process runs its parent's program: it takes the parent's mark, if any (no record printed).
    const { record, child, flags } = _newTaskFields(options.offsets);
    out.push(`tracepoint:task:task_newtask ${_and(tracked)} {`, ...record);
    out.push(`  if (!(${flags} & 0x10000)) {`, "    $g = @t[pid];", `    if ($g != 0) { ${child} @t[$child] = $g; }`);
    out.push("  }", "}", "");
    // A marked process's end, wherever it is then (moved out of the cgroup too): its mark goes, and its record tells
    // captrace that a later process with its pid is another.
    const gone = [
      `if (${f.live} == 0) {`,
      `  ${_exitRecord(f, "0")}`,
      "  delete(@t[pid]);",
      "}",
      "delete(@nd[tid]);",
    ];
    out.push(..._exitProbe("@t[pid]", gone, control, f));
  }

  out.push("END {");
  // Printed again even after the requested summary: captrace asks for END only when that one came incomplete. Its
  // begin marker says it is END's, unless the root had ended (@done: bpftrace's own exit() may follow it): one
  // captrace did not ask for, while the root runs, means something else ended bpftrace.
  const ending = _summary(options, { while: _uses(out, "@done") ? "@done == 0" : null });
  out.push(...ending.map((l) => `  ${l}`));
  const maps = [
    "@agg",
    "@n",
    "@t",
    "@seen",
    "@ps",
    "@go",
    "@execs",
    "@launcher",
    "@done",
    "@p",
    "@fin",
    "@in",
    "@cap",
    "@opt",
    "@sys",
    "@init",
    "@ra",
    "@nd",
    "@m",
    "@cg",
  ];
  for (const m of maps) {
    if (_uses(out, m)) out.push(`  clear(${m});`);
  }
  out.push("}");
  return out.join("\n") + "\n";
}

/**
 * True when the program names a kernel type, which bpftrace resolves through BTF: a struct, where no offsets are known,
 * or a tracepoint record's field through `args->`, where the record's are not. False when it reads every kernel field
 * at offsets: bpftrace then needs none of the kernel's types (see typelessBtf).
 */
export function namesKernelTypes(options: ProgramOptions): boolean {
  const o = options.offsets;
  if (!o) return true;
  if (options.probe === "tracepoint" && !o.capTracepoint) return true;
  if (options.mode === "system" && watchesNewCgroups(options) && !o.cgroupTracepoint) return true;
  // task_newtask: following a tree, or system-wide passing exec marks on to new processes.
  return (_follows(options) || options.mode === "system") && !o.newTaskTracepoint;
}

/** The program follows new processes (task_newtask): a traced tree, children included. */
function _follows(options: ProgramOptions): boolean {
  return options.mode !== "system" && options.follow !== false;
}

/**
 * Sets $fb to the narrow capability (FALLBACK_OF) this check of `cap` stood in for, or 0: the thread's check right
 * before it, in the same syscall, was that capability's and was refused. `@nd[tid]` holds the thread's last check
 * while it is such a refusal, as (syscall + 1) * 64 + capability + 1; other checks only look it up. The kernel
 * cannot tell an audited check from a probing one on the tracepoint, so unlike the stream's rule (see Correlator)
 * any check in between breaks the pair. A pair limited to some calls (FALLBACK_CALLS) is made in those only, and
 * only on x86_64, whose syscall numbers the program knows.
 */
function _fallback(cap: string, ret: string, sys: string, arch: string): string[] {
  const made = [...FALLBACK_OF].filter(([narrow]) => arch === "x86_64" || !FALLBACK_CALLS.has(narrow));
  const broad = new Map<number, string[]>();
  for (const [narrow, b] of made) {
    const numbers = _callNumbers(FALLBACK_CALLS.get(narrow) ?? []);
    const test = numbers.length === 0
      ? `$n == ${narrow + 1}`
      : `($n == ${narrow + 1} && (${numbers.map((nr) => `$fs == ${nr + 1}`).join(" || ")}))`;
    broad.set(b, [...(broad.get(b) ?? []), test]);
  }
  const pairs = [...broad].map(([b, tests]) => `($fc == ${b} && (${tests.join(" || ")}))`);
  const narrow = made.map(([n]) => `$fc == ${n}`).join(" || ");
  // Unsigned throughout: bpftrace warns of signed operands for % and /.
  return [
    `$fs = (uint64)(${sys} + 1); $fc = (uint64)${cap}; $fb = (uint64)0; $nd = @nd[tid];`,
    "if ($nd != 0) {",
    `  $n = $nd % 64; if ($nd / 64 == $fs && (${pairs.join(" || ")})) { $fb = $n - 1; }`,
    "  delete(@nd[tid]);",
    "}",
    `if (${ret} != 0 && (${narrow})) { @nd[tid] = $fs * 64 + $fc + 1; }`,
  ];
}

/**
 * Counts one check under `key`, exactly, in `@agg`. A `count()` would make it a per-CPU map, which the kernel fills
 * at load with a per-CPU value for every entry: about 130 ms of start-up at 131,072 keys on two CPUs. A plain map
 * is one allocation, and keyed by CPU it stays exact without atomics: kprobe, kretprobe and perf tracepoint programs
 * all enter through trace_call_bpf, whose per-CPU bpf_prog_active guard skips a program rather than let it run
 * inside another on the same CPU, and they cannot migrate while running. So no two increments of one entry ever
 * interleave (the lookup and the update are two steps, as in `count()`).
 */
function _countExact(key: string): string {
  return `@agg[cpu, ${key}]++;`;
}

/**
 * A probe adding each cgroup made below `path` to the traced ones, and `path` itself made again (a service restarted
 * removes its cgroup and makes it anew): the new cgroup's path (from the hierarchy's root) is `path`, or begins with
 * it and a `/`. Hierarchy 0 is cgroup v2's; the others are v1's, whose ids `cgroup` never gives.
 * bpftrace 0.17 takes string literals of up to 64 bytes: with the record's layout known, a longer prefix is
 * compared in pieces, each read from its place in the record; through `args->path`, it cannot be.
 */
function _cgroupMade(path: string, offsets: KernelOffsets | undefined): string[] {
  const prefix = `${path}/`;
  const n = path.length;
  const o = offsets?.cgroupTracepoint;
  const body: string[] = [];
  if (o) {
    // The path is a __data_loc field: a word whose low 16 bits are the string's offset in the record.
    body.push(
      `  $a = (uint64)args; $root = *(int32 *)($a + ${o.root}); $id = *(uint64 *)($a + ${o.id});`,
      `  $p = $a + (*(uint32 *)($a + ${o.path}) & 0xffff); $m = $root == 0 ? 1 : 0;`,
    );
    for (let i = 0; i < n; i += _LITERAL_MAX) {
      const piece = path.slice(i, i + _LITERAL_MAX);
      body.push(
        `  if ($m) { $s = str(kptr($p + ${i})); if (strncmp($s, "${piece}", ${piece.length}) != 0) { $m = 0; } }`,
      );
    }
    // Then a `/` (a cgroup below it) or the end (the cgroup itself, made again: a service restarted).
    body.push(`  if ($m) { $c = *(uint8 *)($p + ${n}); if ($c != 47 && $c != 0) { $m = 0; } }`);
    body.push("  if ($m) { @cg[$id] = 1; }");
  } else {
    body.push(
      "  $root = args->root; $id = args->id; $path = str(args->path);",
      `  if ($root == 0 && (strncmp($path, "${prefix}", ${prefix.length}) == 0 || $path == "${path}")) { @cg[$id] = 1; }`,
    );
  }
  return ["tracepoint:cgroup:cgroup_mkdir {", ...body, "}", ""];
}

/**
 * task_newtask's fields: the statement that reads its record when its layout is known (else none: through `args`),
 * the statement setting `$child` to the new task's id, and the expression of its clone flags. bpftrace 0.17 compiles
 * each `args->` it meets (about 40 ms at start), so with the layout the record is read once, at its offsets.
 */
function _newTaskFields(offsets: KernelOffsets | undefined): { record: string[]; child: string; flags: string } {
  const o = offsets?.newTaskTracepoint;
  if (!o) return { record: [], child: "$child = args->pid;", flags: "args->clone_flags" };
  return {
    record: ["  $nt = (uint64)args;"],
    child: `$child = *(int32 *)($nt + ${o.pid});`,
    flags: `*(uint64 *)($nt + ${o.cloneFlags})`,
  };
}

/**
 * The sched_process_exit probe: `body` for the processes `cond` selects and, with captrace's `control` pid, captrace's
 * own end too (see _orphaned).
 */
function _exitProbe(cond: string, body: string[], control: number | undefined, f: _Fields): string[] {
  const probe = "tracepoint:sched:sched_process_exit";
  if (control === undefined) return [`${probe} /${cond}/ {`, ...body.map((l) => `  ${l}`), "}", ""];
  // A compound condition goes in parentheses before captrace's own pid.
  const own = /^[@\w[\]]+$/.test(cond) ? cond : `(${cond})`;
  return [
    `${probe} /${own} || pid == ${control}/ {`,
    `  if (pid == ${control}) {`,
    `    ${_orphaned(f)}`,
    "  } else {",
    ...body.map((l) => `    ${l}`),
    "  }",
    "}",
    "",
  ];
}

/** The exit record of the process in whose context it runs; `root` an expression, 1 for the traced tree's root. */
function _exitRecord(f: _Fields, root: string): string {
  return `@p = count(); printf("X %llu %d %d %d\\n", nsecs, pid, ${f.exitCode}, ${root});`;
}

/**
 * Run when captrace's own process exits: captrace always stops bpftrace before it exits, so if its last thread is
 * gone with bpftrace still running, captrace was killed (SIGKILL, the OOM killer) and nobody reads the trace.
 * Without this, bpftrace would trace on: until the root's exit with a command or a pid, forever system-wide.
 */
function _orphaned(f: _Fields): string {
  return `if (${f.live} == 0) { exit(); }`;
}

/**
 * The syscalls whose check `_tolerated` may find done without, by name in either ABI, and the capability each
 * checks: the stream's tolerated marks count only for these (see doneWithout).
 */
export const TOLERATED_CALLS: ReadonlyMap<string, number> = new Map([
  ["setuid", CAP_SETUID],
  ["setuid32", CAP_SETUID],
  ["setgid", CAP_SETGID],
  ["setgid32", CAP_SETGID],
  ["capset", CAP_SETPCAP],
  ["kill", CAP_KILL],
]);

/**
 * Their numbers as the program reports them (see I386_SYSCALL), on x86_64, the one architecture whose registers it
 * reads. Of i386's, the calls with 32-bit ids: setuid and setgid there take 16-bit ones, which this does not compare.
 */
const _CALLS = {
  setuid: [X86_64_SYSCALLS.indexOf("setuid"), I386_SYSCALL + I386_SYSCALLS.indexOf("setuid32")],
  setgid: [X86_64_SYSCALLS.indexOf("setgid"), I386_SYSCALL + I386_SYSCALLS.indexOf("setgid32")],
  capset: [X86_64_SYSCALLS.indexOf("capset"), I386_SYSCALL + I386_SYSCALLS.indexOf("capset")],
  kill: [X86_64_SYSCALLS.indexOf("kill"), I386_SYSCALL + I386_SYSCALLS.indexOf("kill")],
};
/** The capabilities this version knows, as a mask: those the kernel keeps of a set capset is given. */
const _VALID_CAPS = `0x${((1n << BigInt(CAPABILITY_NAMES.length)) - 1n).toString(16)}`;
/** capset's header version with one 32-bit word per set; later ones have two. */
const _CAP_VERSION_1 = 0x19980330;

/** The numbers of the x86_64 and i386 syscalls named, as the program reports them (see I386_SYSCALL). */
function _callNumbers(names: readonly string[]): number[] {
  return names.flatMap((name) =>
    [
      X86_64_SYSCALLS.indexOf(name),
      ...(I386_SYSCALLS.includes(name) ? [I386_SYSCALL + I386_SYSCALLS.indexOf(name)] : []),
    ].filter((nr) => nr >= 0)
  );
}

/**
 * --unique, inside the test of a check's first sight: when the process is not the one its pid last printed a check
 * for (their start times `st` differ), a `P` record says so before the check, so that captrace takes the new
 * process's checks for no repeats of the old one's. A pid's first process prints none, nor does any once the map of
 * pids is full (its checks are then told apart in the kernel only).
 */
function _reusedPid(st: string): string[] {
  return [
    "$was = @ps[pid];",
    `if ($was != ${st}) {`,
    `  @ps[pid] = ${st};`,
    `  if ($was != 0) { @p = count(); printf("P %llu %d %llu\\n", nsecs, pid, ${st}); }`,
    "}",
  ];
}

/** `$sys` is one of `numbers`. */
function _isCall(numbers: readonly number[]): string {
  return numbers.length === 1 ? `$sys == ${numbers[0]}` : `(${numbers.map((n) => `$sys == ${n}`).join(" || ")})`;
}

/**
 * True when a check that the program marked (see _tolerated) is one its syscall does without: a refusal of the
 * capability one of TOLERATED_CALLS checks, in that call, or capset's check of CAP_SETPCAP, refused or allowed.
 * Whatever a stale mark says, no other.
 */
export function doneWithout(syscall: string | null, cap: number, ret: number): boolean {
  return TOLERATED_CALLS.get(syscall ?? "") === cap && (ret !== 0 || syscall === "capset");
}

/**
 * Sets $tol to 1 for a check of `cap` that its syscall does without:
 * - setuid and setgid check CAP_SETUID or CAP_SETGID first, then allow an id the process has already (its real or
 *   saved one) all the same, as a program dropping root's ids does when it runs as that user already (refused only:
 *   allowed, the call sets the real and saved ids too);
 * - setuid(0) and setgid(0) refused to a process whose real and saved ids are not 0 get `$tol` 2 and `$init` 9, and
 *   no tolerated record: that is how a program checks that it cannot get root's ids (util-linux's mount, after
 *   dropping them or not, and others after dropping them), and it stops if it can. They are shown as the refusals
 *   they are, and left out of the recommendation, which names them (see AggEntry.regain);
 * - capset checks CAP_SETPCAP on every call (cap_inh_is_capped, past the LSMs), and needs it only to raise the
 *   inheritable set beyond the inheritable and permitted ones it holds: a program dropping its capabilities (ping,
 *   ip) does without, refused or allowed (as root). Read from the call's arguments in user memory, where the
 *   named-struct form does not read the sets (capsHeld null): that check then stays a need;
 * - kill(0, sig) and kill(-pgid, sig) of the process group `pgid` a launched command shares with captrace check
 *   CAP_KILL for captrace itself, root, the one process there a `-u` command may not signal: refused, the call
 *   signals the others all the same, and without captrace the check would not be made (a shell's `trap 'kill 0'
 *   EXIT`, an editor's suspend). `pgid` null: not marked (--pid, system-wide).
 * The arguments are in di and si, or for a 32-bit call, bx and cx (its pointers 32 bits wide). `$init` then becomes
 * 3 (bit 2 set), which the counts keep. Only in the initial user namespace, where ids are as given, and only on
 * x86_64 (syscall numbers and registers; $regs and $sys set). `ret` null: not known yet (the kprobe's entry), so
 * refused or not.
 */
function _tolerated(
  arch: string,
  f: _Fields,
  cred: string,
  cap: string,
  ret: string | null,
  pgid: number | null,
): string[] {
  if (arch !== "x86_64") return ["$tol = (uint64)0;"];
  const caps = { setuid: TOLERATED_CALLS.get("setuid")!, setgid: TOLERATED_CALLS.get("setgid")! };
  const ids = [
    `(${_isCall(_CALLS.setuid)} && ${cap} == ${caps.setuid})`,
    `(${_isCall(_CALLS.setgid)} && ${cap} == ${caps.setgid})`,
  ].join(" || ");
  // An allowed setuid or setgid sets the saved id too, which a refused one does not: only a refusal is done without.
  // capset's check is done without, refused or allowed, when it does not raise the inheritable set.
  const refused = (test: string) => ret === null ? test : `(${ret} != 0 && (${test}))`;
  const calls = [
    refused(ids),
    ...(f.capsHeld === null ? [] : [`(${_isCall(_CALLS.capset)} && ${cap} == ${TOLERATED_CALLS.get("capset")})`]),
    ...(pgid === null ? [] : [refused(`${_isCall(_CALLS.kill)} && ${cap} == ${CAP_KILL}`)]),
  ].join(" || ");
  const kill = pgid === null
    ? []
    : [`  if (${_isCall(_CALLS.kill)}) { $pg = (int32)$a0; if ($pg == 0 || $pg == -${pgid}) { $tol = 1; } }`];
  const capset = f.capsHeld === null ? [] : [
    `  if (${_isCall(_CALLS.capset)}) {`,
    `    $in = (uint64)*(uint32 *)uptr($a1 + 8);`,
    `    if (*(uint32 *)uptr($a0) != ${_CAP_VERSION_1}) { $in = $in | ((uint64)*(uint32 *)uptr($a1 + 20) << 32); }`,
    // The kernel keeps only the capabilities it knows (CAP_VALID_MASK).
    `    if (($in & ${_VALID_CAPS} & ~${f.capsHeld(cred)}) == 0) { $tol = 1; }`,
    "  }",
  ];
  return [
    "$tol = (uint64)0;",
    `if ($init == 1 && (${calls})) {`,
    `  if ($sys >= ${I386_SYSCALL}) { $a0 = ${f.reg("bx")} & 0xffffffff; $a1 = ${f.reg("cx")} & 0xffffffff; }`,
    `  else { $a0 = ${f.reg("di")}; $a1 = ${f.reg("si")}; }`,
    ...capset,
    `  $id = (uint32)$a0;`,
    `  if (${_isCall(_CALLS.setuid)}) { if ($id == ${f.uid(cred)} || $id == ${f.suid(cred)}) { $tol = 1; } ` +
    "else if ($id == 0) { $tol = 2; } }",
    `  if (${_isCall(_CALLS.setgid)}) { if ($id == ${f.gid(cred)} || $id == ${f.sgid(cred)}) { $tol = 1; } ` +
    "else if ($id == 0) { $tol = 2; } }",
    ...kill,
    "  if ($tol == 1) { $init = 3; }",
    "  if ($tol == 2) { $init = 9; }",
    "}",
  ];
}

/**
 * 1 when the checking process is in the initial user namespace (`inum` is its credentials' namespace), 0 for any
 * other, 4 for another checked against the initial one (`target`). A process in another namespace (one it made, as
 * `unshare -U` does, or a rootless container's) is allowed only what it holds there, which needs no capability from
 * outside: the recommendation leaves those checks out. Against the initial namespace it is refused whatever it
 * holds: no capability granted passes those either. A process of the initial namespace allowed a check against
 * another one may owe it to a capability it holds in the initial one, as root entering a container does: those
 * count, unless it owes it to owning that namespace (see _owned).
 */
function _initNs(inum: string, target: string): string {
  return `(${inum} == ${INIT_USER_NS} ? 1 : (${target} == ${INIT_USER_NS} ? 4 : 0))`;
}

/**
 * True when a check the stream shows counts for the recommendation as the kernel's counts take it (see _initNs): made
 * in the initial user namespace (or one not known: 0 or null), or refused in another against a namespace other than
 * the initial one, which a capability held there would pass. One allowed in another needs none from outside; one
 * refused there against the initial one, none passes. (The stream cannot tell one allowed to a namespace's owner.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countsOutside } from "./program.ts";
 * import { INIT_USER_NS } from "./user_namespace.ts";
 * assert.ok(countsOutside(INIT_USER_NS, 4026532177, 0));
 * assert.ok(!countsOutside(4026532177, 4026532177, 0));
 * assert.ok(countsOutside(4026532177, 4026532177, -1));
 * assert.ok(!countsOutside(4026532177, INIT_USER_NS, -1));
 * ```
 */
export function countsOutside(userns: number | null, target: number | null, ret: number): boolean {
  return initialOrUnknown(userns) || (ret !== 0 && target !== INIT_USER_NS);
}

/** How many levels below the process's own user namespace the one checked against is looked for (see _owned). */
export const OWNED_DEPTH = 2;

/**
 * Sets `$init` to 0 for a check of a process of the initial namespace against a namespace it owns, as cap_capable
 * decides it: walking up from the namespace checked against, the one whose parent is the process's own is owned by
 * the process's euid. The kernel allows that check whatever the process holds (unshare -Un's CAP_SYS_ADMIN against the
 * user namespace it just made), so it needs no capability. A namespace more than OWNED_DEPTH levels down is taken as
 * not owned. Not for root, which owns the namespaces of every process of root's (a rootful container's): run as another
 * user, the program would need the capability there.
 */
function _owned(f: _Fields, cred: string, tns: string): string[] {
  const mine = f.credNsPtr(cred);
  return [
    `if ($init == 1 && ${f.euid(cred)} != 0 && (uint64)${tns} != ${mine}) {`,
    `  $ns = (uint64)${tns}; $own = 0;`,
    `  unroll(${OWNED_DEPTH}) {`,
    "    if ($ns != 0) {",
    `      $up = ${f.nsParent("$ns")};`,
    `      if ($up == ${mine}) { if (${f.nsOwner("$ns")} == ${
      f.euid(cred)
    }) { $own = 1; } $ns = 0; } else { $ns = $up; }`,
    "    }",
    "  }",
    "  if ($own) { $init = 0; }",
    "}",
  ];
}

/** The summary: the kernel's exact counts between markers. */
function _summary(options: ProgramOptions, atEnd?: { while: string | null }): string[] {
  // The markers end with the time: longer than a comm, so never the rest of one (see LineParser). END's says so,
  // always or while `atEnd.while` holds.
  const plain = 'printf("S begin %llu\\n", nsecs);';
  const marked = 'printf("S begin %llu END\\n", nsecs);';
  const begin = atEnd === undefined
    ? plain
    : atEnd.while === null
    ? marked
    : `if (${atEnd.while}) { ${marked} } else { ${plain} }`;
  // @p counts printed records (exec records at least, in every mode).
  const out = [begin, "print(@n);", "print(@p);"];
  if (_hasGate(options)) out.push("print(@launcher);");
  out.push("print(@agg);", 'printf("S end %llu\\n", nsecs);');
  return out;
}

function _uses(lines: string[], map: string): boolean {
  const re = new RegExp(`${map}\\b`);
  return lines.some((l) => !l.includes("clear(") && re.test(l));
}
