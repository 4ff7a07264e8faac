/** The kernel struct offsets the generated program reads raw, taken from BTF (see btf.ts for why). */

import type { Btf } from "./btf.ts";

/** Byte offsets (and pt_regs' size) of every field the program reads. */
export interface KernelOffsets {
  taskRealParent: number;
  taskTgid: number;
  taskMm: number;
  taskStack: number;
  taskSignal: number;
  taskExitCode: number;
  /** The thread group's leader, and a task's start (ns since boot): with the pid, a process's identity (--unique). */
  taskGroupLeader: number;
  taskStartTime: number;
  /** The task's PF_* flags: PF_IO_WORKER marks an io_uring worker, whose saved registers are no syscall of its own. */
  taskFlags: number;
  signalLive: number;
  /** The exit status of a group exit: its 0x80 bit says the core was written, which only the dumping thread's has. */
  signalGroupExitCode: number;
  mmStartCode: number;
  mmEndCode: number;
  mmEnvEnd: number;
  /** The file the task's program runs (`mm->exe_file`), and a file's inode: the exec record names the inode. */
  mmExeFile: number;
  fileInode: number;
  credUid: number;
  credGid: number;
  credSuid: number;
  credSgid: number;
  credEuid: number;
  /** The inheritable and permitted sets (kernel_cap_t: 64 bits, one u64 since 6.3, two u32 before). */
  credCapInheritable: number;
  credCapPermitted: number;
  credUserNs: number;
  nsInum: number;
  /** A user namespace's parent and owner: a check against one the process owns is allowed without a capability. */
  nsParent: number;
  nsOwner: number;
  ptRegsSize: number;
  ptRegsOrigAx: number;
  ptRegsSp: number;
  /** The first and second syscall arguments' registers (x86_64), and a 32-bit syscall's (i386: bx, cx). */
  ptRegsDi: number;
  ptRegsSi: number;
  ptRegsBx: number;
  ptRegsCx: number;
  /** `thread_info.status` in task_struct, whose TS_COMPAT bit is set during a 32-bit syscall (x86_64). */
  taskThreadInfoStatus: number;
  taskNsproxy: number;
  nsproxyMntNs: number;
  mntNsInum: number;
  taskFs: number;
  fsRootDentry: number;
  fsRootMnt: number;
  dentryInode: number;
  inodeIno: number;
  /**
   * Where the cap_capable tracepoint's fields sit in its record (`struct trace_event_raw_cap_capable`), when the
   * kernel has that tracepoint. bpftrace 0.17 spends about 50 ms compiling each `args->` it meets, so the program
   * reads `args` once and the fields at these offsets.
   */
  capTracepoint?: CapTracepointOffsets;
  /**
   * Where the task_newtask tracepoint's fields sit in its record (`struct trace_event_raw_task_newtask`), read the
   * same way: with `args->pid` and `args->clone_flags` bpftrace took about 40 ms longer to start.
   */
  newTaskTracepoint?: NewTaskTracepointOffsets;
  /** Where the cgroup_mkdir tracepoint's fields sit in its record (`struct trace_event_raw_cgroup`), for --cgroup. */
  cgroupTracepoint?: CgroupTracepointOffsets;
}

/** Offsets of the cap_capable tracepoint's fields in its record. */
export interface CapTracepointOffsets {
  cred: number;
  targetNs: number;
  cap: number;
  ret: number;
}

/** Offsets of the task_newtask tracepoint's fields in its record. */
export interface NewTaskTracepointOffsets {
  pid: number;
  cloneFlags: number;
}

/** Offsets of the cgroup_mkdir tracepoint's fields in its record; `path` is a `__data_loc` word. */
export interface CgroupTracepointOffsets {
  root: number;
  id: number;
  path: number;
}

type _StructField = Exclude<keyof KernelOffsets, "capTracepoint" | "newTaskTracepoint" | "cgroupTracepoint">;

const FIELDS: Record<_StructField, [string, string | null]> = {
  taskRealParent: ["task_struct", "real_parent"],
  taskTgid: ["task_struct", "tgid"],
  taskMm: ["task_struct", "mm"],
  taskStack: ["task_struct", "stack"],
  taskSignal: ["task_struct", "signal"],
  taskExitCode: ["task_struct", "exit_code"],
  taskGroupLeader: ["task_struct", "group_leader"],
  taskStartTime: ["task_struct", "start_time"],
  taskFlags: ["task_struct", "flags"],
  signalLive: ["signal_struct", "live.counter"],
  signalGroupExitCode: ["signal_struct", "group_exit_code"],
  mmStartCode: ["mm_struct", "start_code"],
  mmEndCode: ["mm_struct", "end_code"],
  mmEnvEnd: ["mm_struct", "env_end"],
  mmExeFile: ["mm_struct", "exe_file"],
  fileInode: ["file", "f_inode"],
  credUid: ["cred", "uid.val"],
  credGid: ["cred", "gid.val"],
  credSuid: ["cred", "suid.val"],
  credSgid: ["cred", "sgid.val"],
  credEuid: ["cred", "euid.val"],
  credCapInheritable: ["cred", "cap_inheritable"],
  credCapPermitted: ["cred", "cap_permitted"],
  credUserNs: ["cred", "user_ns"],
  nsInum: ["user_namespace", "ns.inum"],
  nsParent: ["user_namespace", "parent"],
  nsOwner: ["user_namespace", "owner.val"],
  ptRegsSize: ["pt_regs", null],
  ptRegsOrigAx: ["pt_regs", "orig_ax"],
  ptRegsSp: ["pt_regs", "sp"],
  ptRegsDi: ["pt_regs", "di"],
  ptRegsSi: ["pt_regs", "si"],
  ptRegsBx: ["pt_regs", "bx"],
  ptRegsCx: ["pt_regs", "cx"],
  taskThreadInfoStatus: ["task_struct", "thread_info.status"],
  taskNsproxy: ["task_struct", "nsproxy"],
  nsproxyMntNs: ["nsproxy", "mnt_ns"],
  mntNsInum: ["mnt_namespace", "ns.inum"],
  taskFs: ["task_struct", "fs"],
  fsRootDentry: ["fs_struct", "root.dentry"],
  fsRootMnt: ["fs_struct", "root.mnt"],
  dentryInode: ["dentry", "d_inode"],
  inodeIno: ["inode", "i_ino"],
};

const TRACEPOINT_RECORD = "trace_event_raw_cap_capable";
const TRACEPOINT_FIELDS: Record<keyof CapTracepointOffsets, string> = {
  cred: "cred",
  targetNs: "target_ns",
  cap: "cap",
  ret: "ret",
};
const NEW_TASK_RECORD = "trace_event_raw_task_newtask";
const NEW_TASK_FIELDS: Record<keyof NewTaskTracepointOffsets, string> = { pid: "pid", cloneFlags: "clone_flags" };
const CGROUP_RECORD = "trace_event_raw_cgroup";
const CGROUP_FIELDS: Record<keyof CgroupTracepointOffsets, string> = {
  root: "root",
  id: "id",
  path: "__data_loc_path",
};

/** The offsets of a tracepoint record's `fields` in `btf`, or undefined when it lacks any. */
function _record<K extends string>(btf: Btf, record: string, fields: Record<K, string>): Record<K, number> | undefined {
  const out: Partial<Record<K, number>> = {};
  for (const [key, field] of Object.entries(fields) as [K, string][]) {
    const v = btf.offsetOf(record, field);
    if (v === null) return undefined;
    out[key] = v;
  }
  return out as Record<K, number>;
}

/**
 * Every offset the program needs, or null when this kernel's BTF lacks any of them (the program then names the
 * structs and lets bpftrace resolve them, which is slower to start but works).
 */
export function kernelOffsets(btf: Btf): KernelOffsets | null {
  const out: Partial<KernelOffsets> = {};
  for (const [key, [struct, path]] of Object.entries(FIELDS) as [_StructField, [string, string | null]][]) {
    const v = path === null ? btf.sizeOf(struct) : btf.offsetOf(struct, path);
    if (v === null) return null;
    out[key] = v;
  }
  // Either record may be missing (cap_capable's before 6.14): its fields are then read through `args`.
  const cap = _record(btf, TRACEPOINT_RECORD, TRACEPOINT_FIELDS);
  if (cap) out.capTracepoint = cap;
  const newTask = _record(btf, NEW_TASK_RECORD, NEW_TASK_FIELDS);
  if (newTask) out.newTaskTracepoint = newTask;
  const cgroup = _record(btf, CGROUP_RECORD, CGROUP_FIELDS);
  if (cgroup) out.cgroupTracepoint = cgroup;
  return out as KernelOffsets;
}

/** What kernelOffsets reads, as text: offsets saved by one version of it are only good for the same. */
const SPEC = JSON.stringify({
  FIELDS,
  TRACEPOINT_RECORD,
  TRACEPOINT_FIELDS,
  NEW_TASK_RECORD,
  NEW_TASK_FIELDS,
  CGROUP_RECORD,
  CGROUP_FIELDS,
});

/** `offsets` as text to keep for later (see readSavedOffsets). */
export function savedOffsets(offsets: KernelOffsets): string {
  return JSON.stringify({ spec: SPEC, offsets });
}

/** No kernel struct captrace reads comes near this size. */
const MAX_OFFSET = 1 << 20;

function _valid(x: unknown, keys: string[]): boolean {
  if (typeof x !== "object" || x === null) return false;
  const o = x as Record<string, unknown>;
  return keys.every((k) => Number.isInteger(o[k]) && (o[k] as number) >= 0 && (o[k] as number) < MAX_OFFSET);
}

/**
 * Offsets saved by savedOffsets, or null when `text` is not such a save, or one made for other fields.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readSavedOffsets } from "./kernel_offsets.ts";
 * assert.equal(readSavedOffsets("{}"), null);
 * ```
 */
export function readSavedOffsets(text: string): KernelOffsets | null {
  let saved: { spec?: unknown; offsets?: Record<string, unknown> };
  try {
    saved = JSON.parse(text);
  } catch {
    return null;
  }
  if (saved?.spec !== SPEC || !_valid(saved.offsets, Object.keys(FIELDS))) return null;
  const o = saved.offsets!;
  const out = Object.fromEntries(Object.keys(FIELDS).map((k) => [k, o[k]])) as unknown as KernelOffsets;
  const cap = _savedRecord(o.capTracepoint, TRACEPOINT_FIELDS);
  const newTask = _savedRecord(o.newTaskTracepoint, NEW_TASK_FIELDS);
  const cgroup = _savedRecord(o.cgroupTracepoint, CGROUP_FIELDS);
  if (cap === null || newTask === null || cgroup === null) return null;
  if (cap) out.capTracepoint = cap;
  if (newTask) out.newTaskTracepoint = newTask;
  if (cgroup) out.cgroupTracepoint = cgroup;
  return out;
}

/** A saved record's offsets (known fields only), undefined when none was saved, null when they are not offsets. */
function _savedRecord<K extends string>(x: unknown, fields: Record<K, string>): Record<K, number> | undefined | null {
  if (x === undefined) return undefined;
  const keys = Object.keys(fields) as K[];
  if (!_valid(x, keys)) return null;
  return Object.fromEntries(keys.map((k) => [k, (x as Record<K, number>)[k]])) as Record<K, number>;
}
