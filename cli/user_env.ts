/**
 * The variables of captrace's environment that name root's own places, left out of the environment of a command run
 * as another user (`-u`) when that user cannot use them: each use would be a denied DAC check, recommended for
 * nothing, as with root's HOME and PATH (see userPath).
 */

import { resolve } from "node:path";
import { type PathUser, permits, reachable } from "./user_path.ts";

/** A variable left out, and why, for the notice. */
export interface DroppedVariable {
  name: string;
  value: string;
  why: string;
}

/**
 * The variables of `env` that `user` could not use: TMPDIR, a directory the user may not reach or may not write and
 * search (programs then use /tmp, as with no TMPDIR); and XDG_RUNTIME_DIR, a directory the user does not own, or
 * another user's by its name, /run/user/UID (the XDG spec has it the user's own, root's /run/user/0 in a root
 * session). Relative values are taken from the working directory. Other values that do not name an existing
 * directory are kept: they fail alike for root.
 */
export async function unusableVariables(env: Record<string, string>, user: PathUser): Promise<DroppedVariable[]> {
  const out: DroppedVariable[] = [];
  const tmp = env.TMPDIR;
  if (tmp !== undefined && tmp !== "") {
    // Relative, it is taken from the working directory, which the command starts in.
    const dir = resolve(tmp);
    const st = await Deno.stat(dir).catch(() => null);
    if (st?.isDirectory && (!(await reachable(dir, user)) || !permits(st, user, 0o3))) {
      out.push({ name: "TMPDIR", value: tmp, why: "not writable by them" });
    }
  }
  const run = env.XDG_RUNTIME_DIR;
  if (run !== undefined && run !== "") {
    // Another user's by its name (/run/user/0, made at login), whether made yet or not.
    const owner = /^\/run\/user\/(\d+)\/?$/.exec(run)?.[1];
    const st = await Deno.stat(resolve(run)).catch(() => null);
    if ((owner !== undefined && Number(owner) !== user.uid) || (st?.isDirectory && st.uid !== user.uid)) {
      out.push({ name: "XDG_RUNTIME_DIR", value: run, why: "not theirs" });
    }
  }
  return out;
}
