/** The end-of-trace summary: exact per-capability counts, the recommendation, and the completeness line. */

import { isAudited } from "./audit.ts";
import { capLabel, capName } from "./capabilities.ts";
import type { AggEntry } from "./correlator.ts";
import type { CapabilitySummary, ProbeKind, Recommendation, SummaryEvent, Totals } from "./event.ts";
import { syscallLabel, syscallNameOf, syscallOf } from "./syscalls.ts";

/**
 * Per-capability rows from the in-kernel aggregate, ordered by capability number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarize } from "./summary.ts";
 * const [row] = summarize([{ pid: 5, cap: 0, ret: -1, sys: 260, initialNs: true, opts: 0, count: 3 }]);
 * assert(row?.denied === 3 && row.syscalls[0] === "fchownat");
 * ```
 */
export function summarize(agg: readonly AggEntry[], arch = "x86_64"): CapabilitySummary[] {
  const rows = new Map<number, CapabilitySummary & { _sys: Set<string>; _pids: Set<number> }>();
  for (const a of agg) {
    let r = rows.get(a.cap);
    if (!r) {
      r = {
        cap: a.cap,
        cap_name: capName(a.cap),
        checks: 0,
        allowed: 0,
        denied: 0,
        audited: 0,
        noaudit: 0,
        syscalls: [],
        pids: [],
        _sys: new Set(),
        _pids: new Set(),
      };
      rows.set(a.cap, r);
    }
    r.checks += a.count;
    if (a.ret === 0) r.allowed += a.count;
    else r.denied += a.count;
    if (isAudited(a.opts)) r.audited += a.count;
    else r.noaudit += a.count;
    const s = syscallOf(a.sys, arch);
    r._sys.add(syscallLabel(syscallNameOf(s), s?.nr ?? (a.sys < 0 ? null : a.sys), s?.abi ?? null));
    r._pids.add(a.pid);
  }
  return [...rows.values()].sort((a, b) => a.cap - b.cap).map(({ _sys, _pids, ...r }) => ({
    ...r,
    syscalls: [..._sys].sort(),
    pids: [..._pids].sort((a, b) => a - b),
  }));
}

/** The summary event. */
export function summaryEvent(
  capabilities: CapabilitySummary[],
  recommendation: Recommendation,
  totals: Totals,
  probe: ProbeKind,
  limits: string[],
): SummaryEvent {
  return { v: 1, type: "summary", capabilities, recommendation, totals, probe, limits };
}

/**
 * `items` joined with commas in lines of at most `width` columns, broken after a comma; an item longer than the
 * width has a line of its own. Nothing is cut: the table is the only place a reader sees every syscall.
 */
function _wrapped(items: readonly (string | number)[], width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const [i, item] of items.entries()) {
    const word = `${item}${i < items.length - 1 ? "," : ""}`;
    if (line !== "" && line.length + word.length > width) {
      lines.push(line);
      line = "";
    }
    line += word;
  }
  return [...lines, line];
}

// The syscalls column takes what is left of 79 columns after the fixed ones (62); longer lists go on below.
const SYSCALLS_WIDTH = 11;

/**
 * The summary as a text table (under 80 columns, but for a syscall name longer than its column), then the
 * recommendation in every format.
 */
export function formatSummary(s: SummaryEvent): string {
  const out: string[] = [];
  out.push(
    "capability             checks allowed  denied audited noaudit procs syscalls",
    "---------------------- ------ ------- ------- ------- ------- ----- -----------",
  );
  for (const r of s.capabilities) {
    const fixed = capLabel(r.cap).padEnd(22) + " " +
      [r.checks, r.allowed, r.denied, r.audited, r.noaudit].map((n, i) => String(n).padStart(i ? 7 : 6)).join(" ") +
      " " + String(r.pids.length).padStart(5) + " ";
    const [first, ...more] = _wrapped(r.syscalls, SYSCALLS_WIDTH);
    out.push(fixed + first, ...more.map((l) => " ".repeat(fixed.length) + l));
  }
  if (s.capabilities.length === 0) out.push("(no capability checks)");
  out.push("");
  const rec = s.recommendation;
  if (rec.capabilities.length === 0) {
    out.push("Recommendation: no capabilities needed.");
  } else {
    out.push(`Recommendation: ${rec.capabilities.join(" ")}`);
  }
  for (const n of rec.narrowed) out.push(`  ${n.cap} instead of ${n.instead_of}: ${n.reason}`);
  out.push(`  ${rec.note}`, "", "setcap:", ...rec.setcap.split("\n").map((l) => `  ${l}`), "systemd unit ([Service]):");
  out.push(...rec.systemd.split("\n").map((l) => `  ${l}`));
  out.push("docker:", `  ${rec.docker}`, "docker compose (service):");
  out.push(...rec.compose.split("\n").map((l) => `  ${l}`));
  out.push("Kubernetes (container):", ...rec.kubernetes.split("\n").map((l) => `  ${l}`));
  return out.join("\n");
}

/** The one-line completeness report written at the end of every trace. */
export function formatCompleteness(
  t: Totals,
  probe: string,
  limits: readonly string[],
  detail: {
    noaudit: number;
    repeats: number;
    launcher: number;
    summaryOnly?: boolean;
    /** The repeats may be no-audit checks too: --unique, whose held-back checks the counts could not tell. */
    untold?: boolean;
    /** Checks not written because the trace's reader had gone away, or, with `unwritable`, writing it failed. */
    dropped?: number;
    unwritable?: boolean;
  },
): string {
  // `hidden` is what the kernel counted less what was shown and lost; the tracer's lost events may include other
  // records than checks, so with losses the no-audit checks received can outnumber it: the parts never exceed it.
  const noaudit = Math.min(detail.noaudit, t.hidden);
  const repeats = Math.min(detail.repeats, t.hidden - noaudit);
  const why = detail.summaryOnly
    ? "--summary-only"
    : `${noaudit} no-audit, ${repeats} ${detail.untold ? "repeats or no-audit" : "repeats"}`;
  const parts = [`${t.seen} checks seen`, `${t.shown} shown`];
  if (detail.dropped) {
    const cause = detail.unwritable ? "the trace could not be written" : "the trace's reader went away";
    parts.push(`${detail.dropped} dropped (${cause})`);
  }
  parts.push(`${t.hidden} hidden (${why})`, `${t.lost} lost`);
  if (detail.launcher) parts.push(`${detail.launcher} launcher checks before exec left out`);
  if (t.malformed) parts.push(`${t.malformed} unreadable tracer lines`);
  if (t.unsummarized) parts.push(`${t.unsummarized} missing from the summary`);
  const lim = limits.length ? ` (${limits.join("; ")})` : "";
  return `captrace: ${parts.join(", ")}; probe ${probe}${lim}`;
}
