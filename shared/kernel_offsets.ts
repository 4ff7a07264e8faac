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
  signalLive: number;
  mmStartCode: number;
  mmEndCode: number;
  credUid: number;
  credEuid: number;
  credUserNs: number;
  nsInum: number;
  ptRegsSize: number;
  ptRegsOrigAx: number;
  ptRegsSp: number;
}

const FIELDS: Record<keyof KernelOffsets, [string, string | null]> = {
  taskRealParent: ["task_struct", "real_parent"],
  taskTgid: ["task_struct", "tgid"],
  taskMm: ["task_struct", "mm"],
  taskStack: ["task_struct", "stack"],
  taskSignal: ["task_struct", "signal"],
  taskExitCode: ["task_struct", "exit_code"],
  signalLive: ["signal_struct", "live.counter"],
  mmStartCode: ["mm_struct", "start_code"],
  mmEndCode: ["mm_struct", "end_code"],
  credUid: ["cred", "uid.val"],
  credEuid: ["cred", "euid.val"],
  credUserNs: ["cred", "user_ns"],
  nsInum: ["user_namespace", "ns.inum"],
  ptRegsSize: ["pt_regs", null],
  ptRegsOrigAx: ["pt_regs", "orig_ax"],
  ptRegsSp: ["pt_regs", "sp"],
};

/**
 * Every offset the program needs, or null when this kernel's BTF lacks any of them (the program then names the
 * structs and lets bpftrace resolve them, which is slower to start but works).
 */
export function kernelOffsets(btf: Btf): KernelOffsets | null {
  const out: Partial<KernelOffsets> = {};
  for (const [key, [struct, path]] of Object.entries(FIELDS) as [keyof KernelOffsets, [string, string | null]][]) {
    const v = path === null ? btf.sizeOf(struct) : btf.offsetOf(struct, path);
    if (v === null) return null;
    out[key] = v;
  }
  return out as KernelOffsets;
}
