/** A file's file capabilities (its `security.capability` attribute), as getcap(8) reads them. */

import { CAPABILITY_NAMES, capConstant } from "../shared/capabilities.ts";
import { type CapClause, capSets, hasClauseForm, parseCapClause } from "../shared/cap_text.ts";
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
 * The capabilities `path`'s file capabilities raise at exec (upper-case names, as the recommendation names them): those
 * in both its permitted and effective sets, as a `+ep` line gives them. [] for none, null when that cannot be told (as
 * hasFileCaps).
 */
export async function fileCapsOf(path: string, getcap = findTool("getcap") ?? "getcap"): Promise<string[] | null> {
  const text = await _getcap(path, getcap);
  return text === null ? null : effectivePermitted(text);
}

/**
 * The capabilities in both the permitted and the effective sets of getcap's line (`PATH CLAUSE...`, each clause as
 * cap_to_text(3) writes it: `cap_a,cap_b=ep`, `cap_c+i`, `=ep cap_d-e`; see cap_text.ts), in capability order; null
 * when no clause ends the line, or one names a capability beyond the table. The path may hold spaces: the clauses are
 * read from the end.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { effectivePermitted } from "./file_caps.ts";
 * assert.deepEqual(effectivePermitted("/bin/x cap_chown,cap_kill=ep cap_net_raw+p"), ["CAP_CHOWN", "CAP_KILL"]);
 * ```
 */
export function effectivePermitted(line: string): string[] | null {
  const words = line.trim().split(/\s+/);
  const clauses: CapClause[] = [];
  // The clauses end the line; older getcap writes `PATH = CLAUSES`.
  while (words.length > 1 && hasClauseForm(words.at(-1)!)) {
    const clause = parseCapClause(words.pop()!);
    // A name this version does not know (a newer kernel's, by name): what the file holds cannot be told.
    if (clause === null) return null;
    clauses.unshift(clause);
  }
  if (clauses.length === 0) return line.trim() === "" ? [] : null;
  const sets = capSets(clauses);
  if ([...sets.keys()].some((cap) => cap >= CAPABILITY_NAMES.length)) return null;
  return [...sets].filter(([, set]) => set.has("e") && set.has("p")).map(([cap]) => cap).sort((a, b) => a - b)
    .map(capConstant);
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
