/** The text the "Captrace" output channel shows for each event: the CLI's own human format (shared/format_text.ts) plus start, lost and summary lines. */

import type { Event } from "../../shared/event.ts";
import { formatCheck, formatExec, formatExit } from "../../shared/format_text.ts";
import { signalName } from "../../shared/signals.ts";
import { capabilityName } from "./trace_model.ts";

/**
 * The output-channel line(s) for any event.
 *
 * @example
 * ```ts
 * import { formatEvent } from "./output_lines.ts";
 * if (formatEvent({ v: 1, type: "lost", count: 3 }) !== "Lost 3 events") throw new Error("unexpected");
 * ```
 */
export function formatEvent(e: Event): string {
  switch (e.type) {
    case "ready":
      return `Tracing capability checks (${e.probe}, bpftrace ${e.bpftrace}, kernel ${e.kernel})` +
        (e.pid !== null ? `, pid ${e.pid}` : "") +
        e.limits.map((l) => `\n  limit: ${l}`).join("");
    case "check":
      return formatCheck(e);
    case "exec":
      return formatExec(e);
    case "exit":
      return formatExit(e, signalName);
    case "lost":
      return `Lost ${e.count} events`;
    case "error":
      return `Error: ${e.message}${e.hint ? ` (${e.hint})` : ""}`;
    case "summary": {
      const t = e.totals;
      const lines = [
        `Summary: ${t.seen} checks seen, ${t.shown} shown, ${t.hidden} hidden, ${t.lost} lost`,
      ];
      const recommended = new Set(e.recommendation.capabilities);
      for (const c of e.capabilities) {
        // No-audit checks (memory accounting, probing) are counted, never needed: said, since they are often denied.
        // An audited one left out of the recommendation (a narrowing's fallback, a chmod's CAP_FSETID, a setuid(0)
        // that must fail) is said to be too: the note below says why.
        const name = capabilityName(c.cap, c.cap_name);
        const why = c.noaudit > 0
          ? `  (${c.noaudit === c.checks ? "all" : c.noaudit} no-audit, not needed)`
          : c.denied > 0 && !recommended.has(name.toUpperCase())
          ? "  (not recommended: see the note)"
          : "";
        lines.push(
          `  ${name.padEnd(22)} ${String(c.allowed).padStart(6)} allowed ` +
            `${String(c.denied).padStart(6)} denied  ${c.syscalls.join(",")}${why}`,
        );
      }
      const label = "Recommendation: ";
      if (e.recommendation.capabilities.length > 0) {
        // One setcap line per program, aligned under the first.
        const setcap = e.recommendation.setcap.split("\n");
        // A comment that points to the service's or container's form ("below" in the CLI's summary): here it is.
        if (/\(below\)/.test(e.recommendation.setcap)) {
          setcap.push(`for a service: ${e.recommendation.systemd.split("\n").join(" ")}`);
        }
        setcap.forEach((l, i) => lines.push(`${i ? " ".repeat(label.length) : label}${l}`));
      } else lines.push(`${label}no capabilities needed`);
      if (e.recommendation.note !== "") lines.push(`Note: ${e.recommendation.note}`);
      return lines.join("\n");
    }
  }
}

/**
 * `text` with each of its lines marked with the trace it belongs to (`[2] …`): with several traces running, their
 * lines interleave in the channel.
 *
 * @example
 * ```ts
 * import { tagged } from "./output_lines.ts";
 * if (tagged(2, "a\n  b") !== "[2] a\n[2]   b") throw new Error("unexpected");
 * ```
 */
export function tagged(session: number, text: string): string {
  return text.split("\n").map((l) => `[${session}] ${l}`).join("\n");
}
