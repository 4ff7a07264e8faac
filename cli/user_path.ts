/**
 * The PATH a command run as another user (`-u`) gets: root's, less the directories that user cannot search. Root's
 * PATH often starts in root's home (`/root/.cargo/bin`, pyenv shims), and every lookup of a program there, by a shell
 * or execvp, would be a denied DAC check, recommended for nothing.
 */

import { findTool } from "./system_tools.ts";

/** Who the command runs as. */
export interface PathUser {
  uid: number;
  gid: number;
  /** Supplementary groups. */
  groups: readonly number[];
}

/**
 * True when `user` may search the directory whose stat is `st` (its x bit for the user's class), as the kernel's
 * permission check decides it without capabilities; ACLs are not read (see kernelAllows).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { searchable } from "./user_path.ts";
 * const nobody = { uid: 65534, gid: 65534, groups: [] };
 * assert(searchable({ uid: 0, gid: 0, mode: 0o40755 }, nobody));
 * assert(!searchable({ uid: 0, gid: 0, mode: 0o40700 }, nobody));
 * ```
 */
export function searchable(
  st: { uid: number | null; gid: number | null; mode: number | null },
  user: PathUser,
): boolean {
  return permits(st, user, 0o1);
}

/**
 * True when the mode bits of the file whose stat is `st` grant `user` every access of `want` (an octal digit: 4 read,
 * 2 write, 1 execute or search), for the user's class alone; root is granted all; ACLs are not read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { permits } from "./user_path.ts";
 * const nobody = { uid: 65534, gid: 65534, groups: [] };
 * assert(permits({ uid: 0, gid: 0, mode: 0o41777 }, nobody, 0o3));
 * assert(!permits({ uid: 0, gid: 0, mode: 0o40755 }, nobody, 0o3));
 * ```
 */
export function permits(
  st: { uid: number | null; gid: number | null; mode: number | null },
  user: PathUser,
  want: number,
): boolean {
  if (user.uid === 0) return true;
  const mode = st.mode ?? 0;
  const bits = st.uid === user.uid
    ? mode >> 6
    : st.gid === user.gid || (st.gid !== null && user.groups.includes(st.gid))
    ? mode >> 3
    : mode;
  return (bits & want) === want;
}

/**
 * `path` without the entries `user` cannot reach: an absolute directory with a parent, or itself, the user may not
 * search. Entries that do not exist, and relative ones, are kept. Returns the PATH and the entries left out.
 */
export async function userPath(path: string, user: PathUser): Promise<{ path: string; dropped: string[] }> {
  const entries = path.split(":");
  const refused: string[] = [];
  for (const entry of entries) {
    if (!(await reachableByModes(entry, user)) && !refused.includes(entry)) refused.push(entry);
  }
  // What the mode bits refuse, an ACL may allow: the kernel says.
  const allowed = await kernelAllows(refused, user);
  const dropped = refused.filter((e) => !allowed.has(e));
  return { path: entries.filter((e) => !dropped.includes(e)).join(":"), dropped };
}

/**
 * True unless `user` would be refused on the way to the absolute directory `entry` (or to where its links lead);
 * relative entries and directories that do not exist count as reachable.
 */
export async function reachable(entry: string, user: PathUser): Promise<boolean> {
  return await reachableByModes(entry, user) || (await kernelAllows([entry], user)).has(entry);
}

/** reachable() by the mode bits alone, without ACLs: what kernelAllows confirms is then asked once, of the end. */
export async function reachableByModes(entry: string, user: PathUser): Promise<boolean> {
  if (!entry.startsWith("/")) return true;
  // The user must search every directory on the way: the entry's own, and through its links, where they lead.
  const real = await Deno.realPath(entry).catch(() => entry);
  return await _walk(entry, user) && (real === entry || await _walk(real, user));
}

/**
 * Of the absolute `paths`, those `user` may search (a directory) or run (a file), every directory on the way
 * included, as the kernel decides it, ACLs too: asked of a shell running as the user, whose `[ -x PATH ]` asks the
 * kernel. One process for them all; asked only of what the mode bits refuse (permits, searchable), a rare case.
 * None when setpriv cannot run.
 */
export async function kernelAllows(paths: readonly string[], user: PathUser): Promise<Set<string>> {
  if (paths.length === 0 || user.uid === 0) return new Set(paths);
  const groups = user.groups.length > 0 ? `--groups=${user.groups.join(",")}` : "--clear-groups";
  const script = 'for p do [ -x "$p" ] && printf "%s\\0" "$p"; done; exit 0';
  try {
    const out = await new Deno.Command(findTool("setpriv") ?? "setpriv", {
      args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, groups, "--", "/bin/sh", "-c", script, "captrace", ...paths],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return new Set(new TextDecoder().decode(out.stdout).split("\0").filter((p) => paths.includes(p)));
  } catch {
    return new Set();
  }
}

async function _walk(dir: string, user: PathUser): Promise<boolean> {
  let prefix = "";
  for (const part of ["", ...dir.split("/").filter((p) => p !== "")]) {
    prefix = part === "" ? "/" : `${prefix === "/" ? "" : prefix}/${part}`;
    const st = await Deno.stat(prefix).catch(() => null);
    if (st === null || !st.isDirectory) return true; // nothing there to search: no check
    if (!searchable(st, user)) return false;
  }
  return true;
}
