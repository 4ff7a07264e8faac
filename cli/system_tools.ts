/**
 * captrace's own helper programs (getent, id, mkfifo, setpriv, setsid), found whatever PATH captrace was given: run
 * under `env -i`, or with a PATH of a few directories, it still finds the system's.
 */

/** Where a system's programs are, looked in after PATH. */
const SYSTEM_DIRS = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * The absolute path of the program `name` in an absolute directory of `path`, else in the system's directories; null
 * when none has it. (A relative PATH entry is left out: captrace, as root, runs nothing from a working directory.)
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findTool } from "./system_tools.ts";
 * assert.equal(findTool("sh", "/bin"), "/bin/sh");
 * assert.equal(findTool("no-such-tool-anywhere", ""), null);
 * ```
 */
export function findTool(name: string, path = Deno.env.get("PATH") ?? ""): string | null {
  const dirs = [...path.split(":").filter((d) => d.startsWith("/")), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const file = `${dir.replace(/\/$/, "")}/${name}`;
    try {
      const st = Deno.statSync(file);
      if (st.isFile && ((st.mode ?? 0) & 0o111) !== 0) return file;
    } catch {
      // not there
    }
  }
  return null;
}

/**
 * Deno adds the directory of its own npm shims (`DENO_DIR/node_compat_bin`) to PATH, and under `env -i` makes it the
 * whole PATH: it is not the user's, and is taken out of PATH, which is removed if nothing else was in it, so that the
 * command is looked up as with none (in /usr/bin and /bin, as execvp does) and runs with none, as under strace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withoutDenoPath } from "./system_tools.ts";
 * assert.equal(withoutDenoPath("/usr/bin:/root/.cache/deno/node_compat_bin"), "/usr/bin");
 * assert.equal(withoutDenoPath("/root/.cache/deno/node_compat_bin"), null);
 * ```
 */
export function withoutDenoPath(path: string): string | null {
  const kept = path.split(":").filter((d) => !/\/node_compat_bin\/?$/.test(d));
  return kept.length === 0 ? null : kept.join(":");
}

/** Applies withoutDenoPath to captrace's own PATH, which the command inherits. */
export function forgetDenoPath(): void {
  const path = Deno.env.get("PATH");
  if (path === undefined) return;
  const kept = withoutDenoPath(path);
  if (kept === null) Deno.env.delete("PATH");
  else if (kept !== path) Deno.env.set("PATH", kept);
}
