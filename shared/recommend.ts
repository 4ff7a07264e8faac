/** The minimal capability set a traced program needs, printed ready to paste for each way of granting it. */

import { isAudited } from "./audit.ts";
import { capConstant } from "./capabilities.ts";
import type { Recommendation } from "./event.ts";
import type { AggEntry, Narrowing } from "./correlator.ts";

/** What the recommendation is computed from. */
export interface RecommendInput {
  /** Exact in-kernel counts. */
  agg: readonly AggEntry[];
  /** Narrow capabilities that a broad one stood in for. */
  narrowings: readonly Narrowing[];
  /** Per broad capability, its audited checks seen that were no fallback for a narrow capability. */
  alone: ReadonlyMap<number, number>;
  /** Path of the program, for the setcap line; a placeholder when unknown. */
  binary?: string;
}

const NOTE = "Covers only the code paths this run exercised; no-audit probing checks are left out.";

/**
 * The capabilities the program used or was refused in audited checks, narrowed where the kernel tried a narrow
 * capability (CAP_PERFMON, CAP_BPF, CAP_CHECKPOINT_RESTORE) before falling back to CAP_SYS_ADMIN. A check allowed to
 * a process in a user namespace other than the initial one (one it made, as `unshare -U` does, or a rootless
 * container's) is left out: it held the capability there and needs none from outside; one refused there is kept,
 * since the capability granted outside would cover it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { recommend } from "./recommend.ts";
 * const r = recommend({ agg: [{ pid: 1, cap: 0, ret: -1, sys: 260, initialNs: true, opts: 0, count: 1 }], narrowings: [],
 *   alone: new Map(), binary: "/usr/bin/chown" });
 * assert(r.setcap === "setcap cap_chown+ep /usr/bin/chown");
 * ```
 */
export function recommend(input: RecommendInput): Recommendation {
  const caps = new Set<number>();
  let elsewhere = 0;
  for (const a of input.agg) {
    if (!isAudited(a.opts) || a.count === 0) continue;
    if (a.ret === 0 && !a.initialNs) elsewhere += a.count;
    else caps.add(a.cap);
  }
  const narrowed: Recommendation["narrowed"] = [];
  for (const n of input.narrowings) {
    caps.add(n.cap);
    const broad = capConstant(n.insteadOf);
    narrowed.push({
      cap: capConstant(n.cap),
      instead_of: broad,
      reason: `the kernel checked ${capConstant(n.cap)} first and fell back to ${broad} (${n.count}×)`,
    });
  }
  // A broad capability that only ever stood in for narrow ones is not needed: the narrow ones are.
  for (const n of input.narrowings) if ((input.alone.get(n.insteadOf) ?? 0) === 0) caps.delete(n.insteadOf);
  const list = [...caps].sort((a, b) => a - b).map(capConstant);
  const note = elsewhere === 0 ? NOTE : `${NOTE} So ${elsewhere === 1 ? "is 1 check" : `are ${elsewhere} checks`} ` +
    "allowed to processes in a user namespace other than the initial one: they need no capability outside it.";
  return { capabilities: list, narrowed, ...formats(list, input.binary ?? "/path/to/program"), note };
}

/** Each paste-ready form of a capability list (upper-case names such as "CAP_CHOWN"). */
export function formats(
  list: readonly string[],
  binary: string,
): Pick<Recommendation, "setcap" | "systemd" | "docker" | "compose" | "kubernetes"> {
  const bare = list.map((c) => c.replace(/^CAP_/, ""));
  const lower = list.map((c) => c.toLowerCase());
  const q = (s: string) => /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
  return {
    setcap: list.length ? `setcap ${lower.join(",")}+ep ${q(binary)}` : `setcap -r ${q(binary)}`,
    systemd: `CapabilityBoundingSet=${list.join(" ")}\nAmbientCapabilities=${list.join(" ")}`,
    docker: ["docker run --cap-drop=ALL", ...bare.map((c) => `--cap-add=${c}`), "IMAGE"].join(" "),
    compose: ["cap_drop:", "  - ALL", ...(bare.length ? ["cap_add:", ...bare.map((c) => `  - ${c}`)] : [])]
      .join("\n"),
    kubernetes: [
      "securityContext:",
      "  capabilities:",
      '    drop: ["ALL"]',
      ...(bare.length ? [`    add: [${bare.map((c) => JSON.stringify(c)).join(", ")}]`] : []),
    ].join("\n"),
  };
}
