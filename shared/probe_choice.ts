/** Choosing the probe for this kernel, and saying what each one cannot see. */

import type { ProbeKind } from "./event.ts";

/** What the tracer reported this kernel has. */
export interface ProbeSupport {
  tracepoint: boolean;
  kprobe: boolean;
}

/**
 * The probe to use: the stable tracepoint where the kernel has it (Linux 6.14+), else the kprobe pair.
 * Returns an error sentence instead when the requested or any probe is unavailable.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseProbe } from "./probe_choice.ts";
 * assert(chooseProbe("auto", { tracepoint: false, kprobe: true }) === "kprobe");
 * ```
 */
export function chooseProbe(
  requested: "auto" | ProbeKind,
  support: ProbeSupport,
): ProbeKind | { error: string } {
  if (requested === "tracepoint" || (requested === "auto" && support.tracepoint)) {
    return support.tracepoint
      ? "tracepoint"
      : { error: "This kernel has no capability:cap_capable tracepoint (it appeared in Linux 6.14)" };
  }
  if (support.kprobe) return "kprobe";
  return requested === "kprobe"
    ? { error: "This kernel cannot put a kprobe on cap_capable (no CONFIG_KPROBES, or the symbol is missing)" }
    : { error: "This kernel has neither the capability:cap_capable tracepoint nor kprobes on cap_capable" };
}

/** What a probe kind cannot see, one short clause each, for the ready event and the completeness line. */
export function probeLimits(probe: ProbeKind, arch: string): string[] {
  const limits: string[] = [];
  if (probe === "tracepoint") limits.push("audit flags inferred from the kernel caller");
  else limits.push("checks paired with their result by thread in user space");
  if (arch !== "x86_64") limits.push(`syscall and call site not read on ${arch}`);
  return limits;
}

/** Meaning of cap_capable's 4th argument: from its BTF name when known, else from the kernel version (5.1). */
export function kprobeOptsArg(btfParam: string | null, kernelRelease: string): "opts" | "audit" {
  if (btfParam === "opts" || btfParam === "audit") return btfParam;
  const m = /^(\d+)\.(\d+)/.exec(kernelRelease);
  if (!m) return "opts";
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 5 || (major === 5 && minor >= 1) ? "opts" : "audit";
}
