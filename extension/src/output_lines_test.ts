import { deepStrictEqual as assertEquals, match } from "node:assert/strict";
import { loadEvents } from "./_testdata.ts";
import { formatEvent } from "./output_lines.ts";
import type { Recommendation, SummaryEvent } from "../../shared/event.ts";

/** The channel's lines for the recorded trace's summary, with `over` in its recommendation and `rest` beside it. */
function summaryLines(over: Partial<Recommendation>, rest: Partial<SummaryEvent> = {}): string[] {
  const summary = loadEvents("deny_chown").find((e) => e.type === "summary");
  if (summary?.type !== "summary") throw new Error("no summary");
  return formatEvent({ ...summary, ...rest, recommendation: { ...summary.recommendation, ...over } }).split("\n");
}

Deno.test("output channel lines for a recorded trace", () => {
  const lines = loadEvents("deny_chown").map(formatEvent).join("\n").split(
    "\n",
  );
  assertEquals(lines.slice(0, 3), [
    "Tracing capability checks (tracepoint, bpftrace v0.17.0, kernel 6.18.0), pid 4242",
    "  limit: Audit flags are inferred from the kernel caller.",
    "+++ 4242 exec /ws/deny +++",
  ]);
  match(
    lines[3]!,
    /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d deny {13}4242 opt=0 "cap_chown" -> -1 .* at \/ws\/deny\.c:12 \(main\)$/,
  );
  assertEquals(lines[8], "+++ 4243 exited with 1 +++");
  assertEquals(lines[10], "Summary: 5 checks seen, 5 shown, 0 hidden, 0 lost");
  assertEquals(
    lines[11],
    "  cap_chown                   0 allowed      2 denied  chown",
  );
  assertEquals(
    lines.at(-1),
    "Recommendation: setcap cap_chown,cap_net_raw+ep /ws/deny",
  );
});

Deno.test("output channel aligns one setcap line per program under the first", () => {
  const lines = summaryLines({ setcap: "setcap cap_chown+ep /usr/bin/chown\nsetcap cap_net_raw+ep /ws/deny" });
  assertEquals(lines.slice(-2), [
    "Recommendation: setcap cap_chown+ep /usr/bin/chown",
    "                setcap cap_net_raw+ep /ws/deny",
  ]);
});

Deno.test("output channel says no-audit checks are not needed, and when nothing is", () => {
  const admin = { cap: 21, cap_name: "cap_sys_admin", checks: 5, allowed: 0, denied: 5, audited: 0, noaudit: 5 };
  const lines = summaryLines({ capabilities: [], setcap: "setcap -r /ws/deny" }, {
    capabilities: [{ ...admin, syscalls: ["brk", "mmap"], pids: [4242] }],
  });
  assertEquals(lines.slice(1), [
    "  cap_sys_admin               0 allowed      5 denied  brk,mmap  (all no-audit, not needed)",
    "Recommendation: no capabilities needed",
  ]);
});

Deno.test("output channel gives the service's form where a setcap comment points to it", () => {
  const lines = summaryLines({
    setcap: "# /ws/run.sh is a script: grant cap_chown to its service or container instead (below)",
    systemd: "CapabilityBoundingSet=CAP_CHOWN\nAmbientCapabilities=CAP_CHOWN",
  });
  assertEquals(lines.slice(-2), [
    "Recommendation: # /ws/run.sh is a script: grant cap_chown to its service or container instead (below)",
    "                for a service: CapabilityBoundingSet=CAP_CHOWN AmbientCapabilities=CAP_CHOWN",
  ]);
});

Deno.test("output channel gives the recommendation's note, and marks a denied capability it leaves out", () => {
  // setuid(0) refused to nobody: an audited refusal the recommendation leaves out, which its note names.
  const setuid = { cap: 7, cap_name: "cap_setuid", checks: 1, allowed: 0, denied: 1, audited: 1, noaudit: 0 };
  const note = "Covers only the code paths this run exercised. CAP_SETUID (setuid(0), 1×), refused to a process " +
    "with no root id, is left out.";
  const lines = summaryLines({ capabilities: [], setcap: "setcap -r /ws/deny", note }, {
    capabilities: [{ ...setuid, syscalls: ["setuid"], pids: [4242] }],
  });
  assertEquals(lines.slice(1), [
    "  cap_setuid                  0 allowed      1 denied  setuid  (not recommended: see the note)",
    "Recommendation: no capabilities needed",
    `Note: ${note}`,
  ]);
});
