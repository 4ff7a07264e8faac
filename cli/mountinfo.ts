/** The mounts /proc/PID/mountinfo lists, and which of them a path is on. */

/** One mount: what of its file system it shows, where, with which per-mount options, and the file system's type. */
export interface Mount {
  /** The directory of the file system mounted there ("/" for all of it; a bind mount's subtree otherwise). */
  root: string;
  /** Where it is mounted. */
  point: string;
  /** Per-mount options, as `nosuid` or `ro`. */
  options: string[];
  /** The file system's type, as `ext4` or `cgroup2`. */
  type: string;
}

/**
 * The mounts in the text of a mountinfo file, in its order (a later mount on the same point hides an earlier one).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mounts } from "./mountinfo.ts";
 * const [m] = mounts("35 25 0:30 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw\n");
 * assert.deepEqual(m, { root: "/", point: "/sys/fs/cgroup", options: ["rw", "nosuid"], type: "cgroup2" });
 * ```
 */
export function mounts(mountinfo: string): Mount[] {
  const out: Mount[] = [];
  for (const line of mountinfo.split("\n")) {
    // Optional fields come between the mount options and " - ", which is followed by the file system's type.
    const dash = line.indexOf(" - ");
    if (dash < 0) continue;
    const fields = line.slice(0, dash).split(" ");
    const [root, point, options] = [fields[3], fields[4], fields[5]];
    if (root === undefined || point === undefined || options === undefined) continue;
    const type = line.slice(dash + 3).split(" ")[0] ?? "";
    out.push({ root: _unescape(root), point: _unescape(point), options: options.split(","), type });
  }
  return out;
}

/**
 * The mount the absolute path `path` (without links, `.` or `..`) is on: the last of those with the longest mount
 * point that is the path or a directory above it; undefined when none is (no `/` among them).
 */
export function mountOf(path: string, all: readonly Mount[]): Mount | undefined {
  let found: Mount | undefined;
  for (const m of all) {
    const under = m.point === "/" || path === m.point || path.startsWith(`${m.point}/`);
    if (under && (found === undefined || m.point.length >= found.point.length)) found = m;
  }
  return found;
}

/** mountinfo writes space, tab, newline and backslash in paths as octal escapes (`\040`). */
function _unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
