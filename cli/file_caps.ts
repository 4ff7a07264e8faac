/** Whether a file carries file capabilities (its `security.capability` attribute), as getcap(8) reads it. */

import { findTool } from "./system_tools.ts";

/**
 * True when `path` has file capabilities, false when it has none, null when that cannot be told (no getcap, or it
 * failed). Deno cannot read extended attributes itself; getcap comes with setcap (libcap2-bin), which the
 * recommendation's lines need anyway.
 */
export async function hasFileCaps(path: string, getcap = findTool("getcap") ?? "getcap"): Promise<boolean | null> {
  // getcap says nothing on stdout, and exits 0, for a file that is not there either.
  if (!(await Deno.stat(path).catch(() => null))?.isFile) return null;
  try {
    const out = await new Deno.Command(getcap, { args: ["--", path], stdin: "null", stdout: "piped", stderr: "null" })
      .output();
    if (!out.success) return null;
    return new TextDecoder().decode(out.stdout).trim() !== "";
  } catch {
    return null;
  }
}
