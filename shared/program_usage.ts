/**
 * Which program asked for which capability, charged check by check as the stream shows them, for the setcap lines:
 * a process that checks a capability and then executes another program (a wrapper script ending in `exec prog`)
 * made that check as the first program, which the kernel's counts (by pid) cannot tell.
 */

import type { ProgramFile } from "./program_map.ts";

/** How a check of a broad capability (CAP_SYS_ADMIN, CAP_DAC_OVERRIDE) stood, as the correlator saw it. */
export type BroadRole = "alone" | "fallback";

/** One program's share: the capabilities its checks asked for, and how its broad ones stood. */
export interface ProgramShare {
  file: ProgramFile;
  caps: Set<number>;
  /** Broad capabilities checked on their own at least once. */
  alone: Set<number>;
  /** Broad capabilities checked only as a fallback after a denied narrow one, at least once. */
  fallback: Set<number>;
}

/** Most (pid, capability) pairs remembered as seen; past it, further pairs are charged by pid at the end. */
const MAX_SEEN = 1 << 18;

/**
 * Collects program shares from the checks that count for the recommendation (audited; not allowed in another user
 * namespace), in time order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ProgramUsage } from "./program_usage.ts";
 * const u = new ProgramUsage();
 * u.note(10, 24, { path: "/opt/run.sh", script: true }); // ulimit in the script
 * u.note(10, 0, { path: "/usr/bin/chown", script: false }); // after exec chown
 * assert.deepEqual([...u.shares()].map((s) => [s.file.path, [...s.caps]]), [["/opt/run.sh", [24]], ["/usr/bin/chown", [0]]]);
 * assert(u.seen(10, 24) && !u.seen(11, 24));
 * ```
 */
export class ProgramUsage {
  #shares = new Map<string, ProgramShare>();
  #seen = new Set<number>();

  /** Process `pid`, running `file`, made a check of `cap` that counts; `role` for a broad capability. */
  note(pid: number, cap: number, file: ProgramFile, role?: BroadRole): void {
    let share = this.#shares.get(file.path);
    if (share === undefined) {
      share = { file, caps: new Set(), alone: new Set(), fallback: new Set() };
      this.#shares.set(file.path, share);
    }
    share.caps.add(cap);
    if (role === "alone") share.alone.add(cap);
    else if (role === "fallback") share.fallback.add(cap);
    if (this.#seen.size < MAX_SEEN) this.#seen.add(_key(pid, cap));
  }

  /** True when a check of `cap` by `pid` was charged here. */
  seen(pid: number, cap: number): boolean {
    return this.#seen.has(_key(pid, cap));
  }

  /** Each program's share, in the order the programs were first charged. */
  shares(): IterableIterator<ProgramShare> {
    return this.#shares.values();
  }
}

function _key(pid: number, cap: number): number {
  return pid * 128 + (cap & 127);
}
