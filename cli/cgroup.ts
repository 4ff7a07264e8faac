/** --cgroup: finding a cgroup v2 directory and the ids of it and the cgroups below it. */

import { CaptraceError, ExitCode } from "./exit_codes.ts";
import { printable } from "../shared/format_text.ts";
import { mounts } from "./mountinfo.ts";

/** A cgroup to trace: its path in the hierarchy, its directory here, and its id with those of the cgroups below. */
export interface Cgroup {
  /** Path from the hierarchy's root, as /proc/PID/cgroup's `0::` line gives it: "/system.slice/nginx.service". */
  path: string;
  /** Its directory in a cgroup2 mount. */
  dir: string;
  /** Ids (the directories' inode numbers) of the cgroup and every cgroup below it now. */
  ids: number[];
}

/**
 * The most cgroups a trace takes: each is a line of the program's BEGIN, and bpftrace 0.17's compile time grows with
 * their square (here 0.5 s to attach with 500, 4 s with 2,000, 16 s with 4,000); 1,500 take about 2 s. A service
 * or a container has a few.
 */
export const MAX_CGROUPS = 1500;

/**
 * The mount points of cgroup v2 file systems in the text of /proc/self/mountinfo, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cgroup2Mounts } from "./cgroup.ts";
 * const line = "35 25 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw";
 * assert.deepEqual(cgroup2Mounts(line + "\n"), ["/sys/fs/cgroup"]);
 * ```
 */
export function cgroup2Mounts(mountinfo: string): string[] {
  return cgroupMounts(mountinfo, "cgroup2");
}

/** The mount points of the file systems of `type` ("cgroup2", or "cgroup" for v1 hierarchies) in mountinfo's text. */
export function cgroupMounts(mountinfo: string, type: "cgroup" | "cgroup2"): string[] {
  // A bind mount of a subtree (root other than "/") holds only part of the hierarchy.
  return mounts(mountinfo).filter((m) => m.type === type && m.root === "/").map((m) => m.point);
}

/**
 * Where `arg` names a cgroup: under the mount it is a path in, or else, taken as a path from the hierarchy's root,
 * under the first mount. Null when it has `.` or `..` parts, which could lead out of the hierarchy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cgroupLocation } from "./cgroup.ts";
 * const mounts = ["/sys/fs/cgroup/unified"];
 * assert.deepEqual(cgroupLocation("system.slice/a.service", mounts), {
 *   path: "/system.slice/a.service",
 *   dir: "/sys/fs/cgroup/unified/system.slice/a.service",
 * });
 * assert.equal(cgroupLocation("/sys/fs/cgroup/unified/x", mounts)?.path, "/x");
 * assert.equal(cgroupLocation("0::/system.slice", mounts)?.path, "/system.slice");
 * ```
 */
export function cgroupLocation(given: string, mounts: readonly string[]): { path: string; dir: string } | null {
  // "//sys/fs/cgroup" is the same directory as "/sys/fs/cgroup"; "0::/system.slice" is /proc/PID/cgroup's line for
  // the v2 hierarchy, pasted whole.
  const arg = given.replace(/^0::(?=\/)/, "").replace(/\/{2,}/g, "/");
  let mount = mounts[0]!;
  let rest = arg;
  for (const m of mounts) {
    if (arg === m || arg.startsWith(m === "/" ? "/" : `${m}/`)) {
      mount = m;
      rest = arg.slice(m.length);
      break;
    }
  }
  const parts = rest.split("/").filter((p) => p !== "");
  if (parts.some((p) => p === "." || p === "..")) return null;
  const path = `/${parts.join("/")}`;
  return { path, dir: parts.length === 0 ? mount : `${mount.replace(/\/$/, "")}${path}` };
}

/**
 * The mount point of the cgroup v1 hierarchy `arg` is a directory of (a hybrid system's /sys/fs/cgroup/cpu), or null
 * when it is in none, or in a v2 one too.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { v1Hierarchy } from "./cgroup.ts";
 * const info = "32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n" +
 *   "35 31 0:30 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n";
 * assert.equal(v1Hierarchy("/sys/fs/cgroup/cpu//user.slice", info), "/sys/fs/cgroup/cpu");
 * assert.equal(v1Hierarchy("/sys/fs/cgroup/unified/user.slice", info), null);
 * assert.equal(v1Hierarchy("/user.slice", info), null);
 * ```
 */
export function v1Hierarchy(arg: string, mountinfo: string): string | null {
  const plain = arg.replace(/\/{2,}/g, "/");
  const under = (m: string) => plain === m || plain.startsWith(`${m}/`);
  const v1 = cgroupMounts(mountinfo, "cgroup").find(under);
  return v1 !== undefined && !cgroup2Mounts(mountinfo).some(under) ? v1 : null;
}

function _notFound(arg: string, hint: string): CaptraceError {
  return new CaptraceError(`No cgroup '${printable(arg)}'`, hint, ExitCode.NO_SUCH_PROCESS);
}

/**
 * The cgroup `arg` names, with the ids of the cgroups below it now; at most `max` of them (the kernel map that holds
 * them has room for so many).
 */
export async function resolveCgroup(arg: string, max = MAX_CGROUPS): Promise<Cgroup> {
  const mountinfo = await Deno.readTextFile("/proc/self/mountinfo");
  const mounts = cgroup2Mounts(mountinfo);
  if (mounts.length === 0) {
    throw new CaptraceError(
      "No cgroup v2 hierarchy is mounted here",
      "--cgroup needs one (mount -t cgroup2 none /sys/fs/cgroup/unified); or trace the whole system",
      ExitCode.CANNOT_TRACE,
    );
  }
  const where = cgroupLocation(arg, mounts);
  if (where === null) {
    throw new CaptraceError(
      `Invalid cgroup '${printable(arg)}'`,
      "Give the path without '.' or '..' parts",
      ExitCode.USAGE,
    );
  }
  const limit = Math.min(max, MAX_CGROUPS);
  const hint = `Give its path as the '0::' line of /proc/PID/cgroup shows it, or its directory under ${mounts[0]}`;
  // Through its links: a hybrid system's /sys/fs/cgroup/cpu is a link to the mount cpu,cpuacct. A relative path is
  // one from the v2 hierarchy's root, not from the working directory.
  const real = arg.startsWith("/") ? await Deno.realPath(arg).catch(() => arg) : arg;
  const v1 = v1Hierarchy(real, mountinfo);
  if (v1 !== null) {
    throw new CaptraceError(`'${printable(arg)}' is in a cgroup v1 hierarchy (${printable(v1)})`, hint, ExitCode.USAGE);
  }
  const ids: number[] = [];
  const walk = async (dir: string): Promise<void> => {
    const info = await Deno.stat(dir);
    if (info.ino === null) throw new Error(`${dir} has no inode number`);
    ids.push(info.ino);
    if (ids.length > limit) {
      throw new CaptraceError(
        `The cgroup '${printable(arg)}' and those below it are more than ${limit} cgroups`,
        limit < MAX_CGROUPS
          ? "Raise --map-keys, trace a cgroup lower in the hierarchy, or the whole system"
          : "Trace a cgroup lower in the hierarchy, or the whole system",
        ExitCode.USAGE,
      );
    }
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(`${dir}/${e.name}`).catch(_goneIsFine);
    }
  };
  const top = await Deno.stat(`${where.dir}/cgroup.procs`).catch(() => null);
  if (top === null) throw _notFound(arg, hint);
  // The root holds every process: traced with no filter, its cgroups are not counted.
  if (where.path === "/") return { ...where, ids: [] };
  await walk(where.dir);
  return { ...where, ids };
}

/** A cgroup removed while it was walked is left out: no process can be in it. */
function _goneIsFine(e: unknown): void {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
}
