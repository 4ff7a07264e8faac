/** A file's file capabilities (its `security.capability` attribute), as getcap(8) reads them. */

import { parseBaseline } from "../shared/baseline.ts";
import { findTool } from "./system_tools.ts";

/**
 * True when `path` has file capabilities, false when it has none, null when that cannot be told (no getcap, or it
 * failed). Deno cannot read extended attributes itself; getcap comes with setcap (libcap2-bin), which the
 * recommendation's lines need anyway.
 */
export async function hasFileCaps(path: string, getcap = findTool("getcap") ?? "getcap"): Promise<boolean | null> {
  const text = await _getcap(path, getcap);
  return text === null ? null : text !== "";
}

/**
 * The capabilities `path`'s file capabilities give (upper-case names, as the recommendation names them), [] for none,
 * null when that cannot be told: as hasFileCaps, or getcap's text is not one a baseline takes (one that takes some
 * away, as `=ep cap_setuid-ep`).
 */
export async function fileCapsOf(path: string, getcap = findTool("getcap") ?? "getcap"): Promise<string[] | null> {
  const text = await _getcap(path, getcap);
  if (text === null || text === "") return text === null ? null : [];
  try {
    return parseBaseline(text);
  } catch {
    return null;
  }
}

/** getcap's line for `path` ("" for a file with none), or null when it cannot be had. */
async function _getcap(path: string, getcap: string): Promise<string | null> {
  // getcap says nothing on stdout, and exits 0, for a file that is not there either.
  if (!(await Deno.stat(path).catch(() => null))?.isFile) return null;
  try {
    const out = await new Deno.Command(getcap, { args: ["--", path], stdin: "null", stdout: "piped", stderr: "null" })
      .output();
    if (!out.success) return null;
    return new TextDecoder().decode(out.stdout).trim();
  } catch {
    return null;
  }
}
