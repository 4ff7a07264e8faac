/** A file's file capabilities (its `security.capability` attribute), as getcap(8) reads them. */

import { CAPABILITY_NAMES, capConstant, parseCap } from "../shared/capabilities.ts";
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
 * cap_to_text(3) writes it: `cap_a,cap_b=ep`, `cap_c+i`, `=ep cap_d-e`), in capability order; null when a clause is not
 * one. The path may hold spaces: the clauses are read from the end.
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
  const clauses: string[] = [];
  // The clauses end the line; older getcap writes `PATH = CLAUSES`.
  while (words.length > 1 && _CLAUSE.test(words.at(-1)!)) clauses.unshift(words.pop()!);
  if (words.length === 0 || clauses.length === 0) return line.trim() === "" ? [] : null;
  const sets = CAPABILITY_NAMES.map(() => new Set<string>());
  for (const clause of clauses) {
    const m = /^([a-z0-9_,]*)((?:[=+-][eip]*)+)$/i.exec(clause)!;
    const names = m[1]!.toLowerCase();
    const caps = names === "" || names === "all"
      ? CAPABILITY_NAMES.map((_, i) => i)
      : names.split(",").map((n) => parseCap(n));
    if (caps.some((c) => c === null || c >= CAPABILITY_NAMES.length)) return null;
    for (const [, op, flags] of m[2]!.matchAll(/([=+-])([eip]*)/gi)) {
      for (const cap of caps as number[]) {
        const set = sets[cap]!;
        if (op === "=") set.clear();
        for (const f of flags!.toLowerCase()) op === "-" ? set.delete(f) : set.add(f);
      }
    }
  }
  return sets.flatMap((set, cap) => set.has("e") && set.has("p") ? [capConstant(cap)] : []);
}

/** One clause of cap_to_text(3)'s form: names (or none, or `all`) and the operations on their sets. */
const _CLAUSE = /^(?:[a-z0-9_,]*)(?:[=+-][eip]*)+$/i;

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
