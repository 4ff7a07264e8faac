/**
 * Capability clauses as cap_to_text(3) writes them, setcap(8) takes them and getcap(8) prints them: `cap_a,cap_b=ep`,
 * `cap_c+i`, `=ep` (every capability), `all-e`, `cap_d+e-p`.
 */

import { CAPABILITY_NAMES, parseCap } from "./capabilities.ts";

/** One clause: the capabilities it names and what it does to their sets, in order. */
export interface CapClause {
  /**
   * The capabilities named (numbers, perhaps beyond the table); every known one for `all`, or for none named before a
   * leading `=` (cap_from_text(3)).
   */
  caps: number[];
  /** Each operation (`=` sets exactly, `+` adds, `-` takes away) with the sets it applies to (`e`, `i`, `p`). */
  ops: { op: "=" | "+" | "-"; sets: string }[];
}

const _CLAUSE = /^([a-z0-9_,]*)((?:[=+-][eip]*)+)$/i;

/** True when `word` has a clause's form (see parseCapClause), whatever names it holds. */
export function hasClauseForm(word: string): boolean {
  return _CLAUSE.test(word);
}

/**
 * The clause `word`, or null when it is not one: no operation, a name no capability has, or no name before an
 * operation other than `=`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCapClause } from "./cap_text.ts";
 * assert.deepEqual(parseCapClause("cap_chown,cap_kill+ep"), { caps: [0, 5], ops: [{ op: "+", sets: "ep" }] });
 * assert.equal(parseCapClause("=ep")?.caps.length, 41);
 * assert.equal(parseCapClause("cap_chown"), null);
 * assert.equal(parseCapClause("cap_nonsense=ep"), null);
 * assert.equal(parseCapClause("+ep"), null);
 * ```
 */
export function parseCapClause(word: string): CapClause | null {
  const m = _CLAUSE.exec(word);
  if (m === null) return null;
  const names = m[1]!.toLowerCase();
  if (names === "" && !m[2]!.startsWith("=")) return null;
  const caps = names === "" || names === "all" ? CAPABILITY_NAMES.map((_, i) => i) : names.split(",").map(parseCap);
  if (caps.some((c) => c === null)) return null;
  const ops = [...m[2]!.matchAll(/([=+-])([eip]*)/gi)].map(([, op, sets]) => ({
    op: op as "=" | "+" | "-",
    sets: sets!.toLowerCase(),
  }));
  return { caps: caps as number[], ops };
}

/**
 * The sets (`e`, `i`, `p`) each capability is in after `clauses`, applied in order to a file with none; keyed by
 * capability number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { capSets, parseCapClause } from "./cap_text.ts";
 * const sets = capSets(["=ep", "cap_setuid-e"].map((w) => parseCapClause(w)!));
 * assert.deepEqual([...sets.get(0)!], ["e", "p"]);
 * assert.deepEqual([...sets.get(7)!], ["p"]);
 * ```
 */
export function capSets(clauses: readonly CapClause[]): Map<number, Set<string>> {
  const sets = new Map<number, Set<string>>();
  for (const { caps, ops } of clauses) {
    for (const { op, sets: flags } of ops) {
      for (const cap of caps) {
        let set = sets.get(cap);
        if (set === undefined) sets.set(cap, set = new Set());
        if (op === "=") set.clear();
        for (const f of flags) op === "-" ? set.delete(f) : set.add(f);
      }
    }
  }
  return sets;
}
