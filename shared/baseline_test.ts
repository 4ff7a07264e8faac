/** Tests of baselines: plain lists, JSON summaries, errors, and the comparison. */

import assert from "node:assert/strict";
import { compareBaseline, parseBaseline } from "./baseline.ts";

const SUMMARY = {
  v: 1,
  type: "summary",
  capabilities: [],
  recommendation: { capabilities: ["CAP_CHOWN", "CAP_NET_RAW"] },
  totals: { seen: 1, shown: 1, hidden: 0, lost: 0, malformed: 0, unsummarized: 0 },
  probe: "tracepoint",
  limits: [],
};

Deno.test("parseBaseline reads a plain list separated by spaces, commas and new lines", () => {
  assert.deepEqual(parseBaseline("cap_chown, CAP_NET_RAW\nsys_admin 1\n\n"), [
    "CAP_CHOWN",
    "CAP_NET_RAW",
    "CAP_SYS_ADMIN",
    "CAP_DAC_OVERRIDE",
  ]);
});

Deno.test("parseBaseline reads a systemd unit's capability lines, several commands on a line, and getcap's cap_ paths", () => {
  assert.deepEqual(parseBaseline("CapabilityBoundingSet=CAP_CHOWN CAP_SYS_NICE\nAmbientCapabilities=CAP_KILL"), [
    "CAP_CHOWN",
    "CAP_SYS_NICE",
    "CAP_KILL",
  ]);
  assert.deepEqual(parseBaseline("AmbientCapabilities="), []);
  assert.throws(() => parseBaseline("CapabilityBoundingSet=~CAP_SYS_ADMIN"), /lists the capabilities taken away/);
  assert.deepEqual(parseBaseline("setcap cap_chown+ep /a; setcap cap_sys_nice+ep /b && setcap cap_kill+ep /c"), [
    "CAP_CHOWN",
    "CAP_SYS_NICE",
    "CAP_KILL",
  ]);
  // A path with ; or && stays whole, quoted in a setcap line or as getcap prints it.
  assert.deepEqual(parseBaseline("setcap cap_chown+ep '/opt/a;b'\nsetcap cap_kill+ep '/opt/R&&D/tool'"), [
    "CAP_CHOWN",
    "CAP_KILL",
  ]);
  assert.deepEqual(parseBaseline("setcap -r '/opt/x;y'\n/opt/a;b cap_chown=ep"), ["CAP_CHOWN"]);
  // getcap of a file in the working directory whose name starts with cap_; a list of names is still a list.
  assert.deepEqual(parseBaseline("cap_tool cap_chown,cap_sys_nice=ep"), ["CAP_CHOWN", "CAP_SYS_NICE"]);
  assert.deepEqual(parseBaseline("cap_chown cap_net_raw=ep"), ["CAP_CHOWN", "CAP_NET_RAW"]);
});

Deno.test("parseBaseline reads setcap and getcap lines as their capabilities", () => {
  assert.deepEqual(parseBaseline("setcap cap_chown,cap_net_raw+ep /usr/bin/tool\n"), ["CAP_CHOWN", "CAP_NET_RAW"]);
  assert.deepEqual(parseBaseline("/usr/bin/ping cap_net_raw=ep\n/usr/bin/x cap_chown,cap_fowner+eip"), [
    "CAP_NET_RAW",
    "CAP_CHOWN",
    "CAP_FOWNER",
  ]);
  assert.deepEqual(parseBaseline("cap_kill=p+e"), ["CAP_KILL"]);
  // What captrace prints when nothing is needed, a quoted path, older getcap's `PATH = CAPS`, a path with a space.
  assert.deepEqual(parseBaseline("setcap -r /usr/bin/x\n"), []);
  assert.deepEqual(parseBaseline("setcap cap_chown+ep '/opt/my app/x'"), ["CAP_CHOWN"]);
  assert.deepEqual(parseBaseline("/usr/bin/ping = cap_net_raw+ep"), ["CAP_NET_RAW"]);
  assert.deepEqual(parseBaseline("/opt/my app/x cap_chown=ep"), ["CAP_CHOWN"]);
  // getcap prints the path as it was given it: relative, too.
  assert.deepEqual(parseBaseline("tb cap_fowner=ep\n./tb cap_chown+ep\nsub/tb = cap_kill+ep"), [
    "CAP_FOWNER",
    "CAP_CHOWN",
    "CAP_KILL",
  ]);
  assert.deepEqual(parseBaseline("setcap 'cap_fowner+ep' /x"), ["CAP_FOWNER"]);
  assert.deepEqual(parseBaseline("cap_chown+ep cap_kill=p"), ["CAP_CHOWN", "CAP_KILL"], "clauses alone");
  // Every capability: `=ep` (getcap's, and setcap's) and `all=ep`.
  for (const all of ["/x/tb =ep", "setcap =ep /x/tb", "all=ep"]) {
    const caps = parseBaseline(all);
    assert.equal(caps.length, 41, all);
    assert.ok(caps.includes("CAP_SYS_ADMIN") && caps.includes("CAP_CHECKPOINT_RESTORE"), all);
  }
  // Taken away (`-`) is not allowed.
  assert.throws(() => parseBaseline("cap_sys_admin-ep"), /'cap_sys_admin-ep' takes capabilities away/);
  assert.throws(
    () => parseBaseline("/x cap_chown,cap_sys_nice-ep"),
    /'cap_chown,cap_sys_nice-ep' takes capabilities away/,
  );
  // A setcap line's path, relative or not, is passed over; a list's word that is no capability is said.
  assert.deepEqual(parseBaseline("setcap cap_chown+ep ./tool"), ["CAP_CHOWN"]);
  assert.throws(() => parseBaseline("cap_chown ./tool"), /'.\/tool' is not a capability name/);
  assert.throws(() => parseBaseline("cap_chown+x"), /'cap_chown\+x' is not a capability name/);
});

Deno.test("parseBaseline reads setcap's capabilities quoted, several clauses among them", () => {
  assert.deepEqual(parseBaseline("setcap 'cap_net_raw,cap_net_admin+ep' /usr/bin/x"), ["CAP_NET_RAW", "CAP_NET_ADMIN"]);
  assert.deepEqual(parseBaseline('setcap "cap_chown+ep cap_fowner+ep" /x'), ["CAP_CHOWN", "CAP_FOWNER"]);
  assert.deepEqual(parseBaseline("sudo setcap -v 'cap_kill=+ep' '/opt/my app/x'"), ["CAP_KILL"]);
});

Deno.test("parseBaseline takes getcap's bare relative path named like a capability for the path", () => {
  // `cd /usr/bin && getcap kill`: the file kill, not CAP_KILL.
  assert.deepEqual(parseBaseline("kill cap_net_raw=ep"), ["CAP_NET_RAW"]);
  assert.deepEqual(compareBaseline(parseBaseline("kill cap_net_raw=ep"), ["CAP_KILL"]), ["CAP_KILL"]);
  // A list still lists: names written with cap_, or alone on their line.
  assert.deepEqual(parseBaseline("cap_kill cap_net_raw=ep\nkill"), ["CAP_KILL", "CAP_NET_RAW", "CAP_KILL"]);
});

Deno.test("parseBaseline keeps the capabilities of captrace's own setcap comments", () => {
  // A container's file, a script, an interpreter, programs it could not name: as recommend prints them.
  const section = [
    "# in mount namespace mnt:[4026532301] (a container's files, not this system's), run there: setcap " +
    "cap_chown+ep /bin/prog",
    "# ./run.sh is a script: the kernel ignores file capabilities on scripts; grant cap_net_raw,cap_kill to its " +
    "service or container instead (below)",
    "# programs captrace could not name (gone before it looked, or run before an exec it saw): grant cap_sys_nice " +
    "to each program's file by its full path, or to its service or container (below)",
    "# /usr/bin/true needs no capability, and has no file capabilities to remove",
    "setcap cap_fowner+ep /usr/bin/x # the tool",
  ].join("\n");
  assert.deepEqual(parseBaseline(section), ["CAP_CHOWN", "CAP_NET_RAW", "CAP_KILL", "CAP_SYS_NICE", "CAP_FOWNER"]);
});

Deno.test("parseBaseline reads captrace's setcap and systemd sections pasted with their headings", () => {
  const text = [
    "setcap:",
    "  setcap cap_chown+ep /usr/bin/chown",
    "  # /opt/run.sh is a script: grant cap_kill to its service or container instead (below)",
    "systemd unit ([Service]):",
    "  CapabilityBoundingSet=CAP_CHOWN CAP_NET_RAW",
    "  AmbientCapabilities=CAP_CHOWN CAP_NET_RAW",
  ].join("\n");
  assert.deepEqual([...new Set(parseBaseline(text))].sort(), ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"]);
  // Only those headings, whole: another word ending in a colon is still no capability.
  assert.throws(() => parseBaseline("docker:\n  docker run --cap-add=CHOWN IMAGE"), /'docker:' is not a capability/);
  assert.throws(() => parseBaseline("setcap: cap_chown"), /'setcap:' is not a capability/);
});

Deno.test("parseBaseline ignores comments and blank lines", () => {
  assert.deepEqual(parseBaseline("# needed by ping\ncap_net_raw # raw sockets\n   \n# end"), ["CAP_NET_RAW"]);
  // Only captrace's own comments name capabilities: a person's that reads alike is a comment.
  assert.deepEqual(parseBaseline("# we grant these to the web service\ncap_net_bind_service"), [
    "CAP_NET_BIND_SERVICE",
  ]);
  assert.deepEqual(parseBaseline("cap_chown # to run there: setcap is run by ansible"), ["CAP_CHOWN"]);
});

Deno.test("parseBaseline gives an empty list for an empty file", () => {
  assert.deepEqual(parseBaseline(""), []);
  assert.deepEqual(parseBaseline("# nothing\n"), []);
});

Deno.test("parseBaseline keeps an unknown capability number as CAP_<n>", () => {
  assert.deepEqual(parseBaseline("41"), ["CAP_41"]);
});

Deno.test("parseBaseline throws a SyntaxError naming the first word that is no capability", () => {
  assert.throws(() => parseBaseline("cap_chown cap_fly cap_swim"), {
    name: "SyntaxError",
    message: "'cap_fly' is not a capability name",
  });
});

Deno.test("parseBaseline reads the summary line of a --json trace", () => {
  const trace = [
    { v: 1, type: "ready", probe: "tracepoint" },
    { v: 1, type: "check", cap: 0 },
    SUMMARY,
    { v: 1, type: "error", message: "Capabilities not in the baseline", hint: null, exit_code: 5 },
  ].map((o) => JSON.stringify(o)).join("\n") + "\n";
  assert.deepEqual(parseBaseline(trace), ["CAP_CHOWN", "CAP_NET_RAW"]);
});

Deno.test("parseBaseline reads a --json trace after the program's own output", () => {
  // `--json 2> trace`: the program's messages on stderr come first.
  const trace = ["/usr/bin/chown: changing ownership of 'x': Operation not permitted", JSON.stringify(SUMMARY)];
  assert.deepEqual(parseBaseline(trace.join("\n")), ["CAP_CHOWN", "CAP_NET_RAW"]);
});

Deno.test("parseBaseline reads a summary object on one line or pretty-printed", () => {
  assert.deepEqual(parseBaseline(JSON.stringify(SUMMARY)), ["CAP_CHOWN", "CAP_NET_RAW"]);
  assert.deepEqual(parseBaseline(JSON.stringify(SUMMARY, null, 2)), ["CAP_CHOWN", "CAP_NET_RAW"]);
});

Deno.test("parseBaseline skips other text and cut lines in a trace", () => {
  const trace = [
    '{"v":1,"type":"ready"}',
    "chown: changing ownership of 'x': Operation not permitted",
    JSON.stringify(SUMMARY),
    '{"v":1,"type":"err',
  ].join("\n");
  assert.deepEqual(parseBaseline(trace), ["CAP_CHOWN", "CAP_NET_RAW"]);
});

Deno.test("parseBaseline takes the last summary when a trace holds several", () => {
  const first = { ...SUMMARY, recommendation: { capabilities: ["CAP_KILL"] } };
  assert.deepEqual(parseBaseline([first, SUMMARY].map((o) => JSON.stringify(o)).join("\n")), [
    "CAP_CHOWN",
    "CAP_NET_RAW",
  ]);
});

Deno.test("parseBaseline reads an empty recommendation as an empty baseline", () => {
  assert.deepEqual(parseBaseline(JSON.stringify({ ...SUMMARY, recommendation: { capabilities: [] } })), []);
});

Deno.test("parseBaseline checks the capabilities of a JSON summary, and refuses a text trace without its summary", () => {
  const summary = (caps: unknown[]) => JSON.stringify({ type: "summary", recommendation: { capabilities: caps } });
  assert.deepEqual(parseBaseline(summary(["CAP_CHOWN", "cap_net_raw", "CAP_41"])), [
    "CAP_CHOWN",
    "CAP_NET_RAW",
    "CAP_41",
  ]);
  assert.throws(() => parseBaseline(summary(["CAP_CHOWNX"])), /"CAP_CHOWNX" in the summary's recommendation is not a/);
  assert.throws(() => parseBaseline(summary([5])), /5 in the summary's recommendation is not a capability name/);
  const trace = [
    "Tracing capability checks (tracepoint)… Hit Ctrl-C to end.",
    '2026/11/30 17:21:41 chown            1229 opt=0 "cap_chown" -> -1 (operation not permitted) syscall=fchownat',
    "+++ 1229 exited with 1 +++",
  ].join("\n");
  assert.throws(() => parseBaseline(trace), /^SyntaxError: The baseline is a text trace without its summary \(make it/);
});

Deno.test("parseBaseline throws a SyntaxError for JSON without a summary event", () => {
  for (const text of ['{"v":1,"type":"ready"}', "{}", "{ not json"]) {
    assert.throws(() => parseBaseline(text), {
      name: "SyntaxError",
      message: "The baseline JSON has no summary event (make it with --json)",
    }, text);
  }
});

Deno.test("compareBaseline names what is needed beyond the baseline, ignoring case", () => {
  assert.deepEqual(compareBaseline(["cap_chown"], ["CAP_CHOWN", "CAP_NET_RAW"]), ["CAP_NET_RAW"]);
  assert.deepEqual(compareBaseline(["CAP_CHOWN", "CAP_KILL"], ["CAP_CHOWN"]), []);
  assert.deepEqual(compareBaseline([], []), []);
});

Deno.test("compareBaseline takes a narrowed capability as within a baseline of its broad one", () => {
  const narrowed = [{ cap: "CAP_PERFMON", instead_of: "CAP_SYS_ADMIN", fallback_only: true }];
  assert.deepEqual(compareBaseline(["CAP_SYS_ADMIN"], ["CAP_PERFMON"], narrowed), []);
  assert.deepEqual(compareBaseline(["cap_sys_admin"], ["CAP_PERFMON", "CAP_BPF"], narrowed), ["CAP_BPF"]);
  // Not the other way round, and not a narrow capability needed on its own (no fallback seen).
  assert.deepEqual(compareBaseline(["CAP_PERFMON"], ["CAP_SYS_ADMIN"], narrowed), ["CAP_SYS_ADMIN"]);
  assert.deepEqual(compareBaseline(["CAP_SYS_ADMIN"], ["CAP_PERFMON"]), ["CAP_PERFMON"]);
});

Deno.test("compareBaseline holds a narrowed capability also checked on its own to the baseline", () => {
  // CAP_FOWNER before CAP_DAC_OVERRIDE for a touch, and on its own for a chmod: CAP_DAC_OVERRIDE does no chmod.
  const narrowed = [{ cap: "CAP_FOWNER", instead_of: "CAP_DAC_OVERRIDE", fallback_only: false }];
  const needed = ["CAP_DAC_OVERRIDE", "CAP_FOWNER"];
  assert.deepEqual(compareBaseline(["CAP_DAC_OVERRIDE"], needed, narrowed), ["CAP_FOWNER"]);
  // Nor one from a summary that does not say (made before fallback_only).
  const unsaid = [{ cap: "CAP_PERFMON", instead_of: "CAP_SYS_ADMIN" }];
  assert.deepEqual(compareBaseline(["CAP_SYS_ADMIN"], ["CAP_PERFMON"], unsaid), ["CAP_PERFMON"]);
});

Deno.test("parseBaseline reads a text trace with its summary (-c) by its recommendation line", () => {
  const trace = (rec: string) =>
    [
      "Tracing capability checks (tracepoint)… Hit Ctrl-C to end.",
      '2026/11/30 17:21:41 chown            1229 opt=0 "cap_chown" -> -1 (operation not permitted) syscall=fchownat',
      "+++ 1229 exited with 1 +++",
      "",
      "capability             checks allowed  denied audited noaudit procs syscalls",
      "---------------------- ------ ------- ------- ------- ------- ----- -----------",
      "cap_chown                   1       0       1       1       0     1 fchownat",
      "",
      `Recommendation: ${rec}`,
      "  Covers only the code paths this run exercised; no-audit probing checks are left out.",
      "",
      "setcap:",
      "  setcap cap_chown+ep /usr/bin/chown",
    ].join("\n");
  assert.deepEqual(parseBaseline(trace("CAP_CHOWN CAP_NET_RAW")), ["CAP_CHOWN", "CAP_NET_RAW"]);
  assert.deepEqual(parseBaseline(trace("no capabilities needed.")), []);
  // The program's own lines in it may be JSON (a service that logs JSON on stderr, where the trace goes).
  const logged = trace("CAP_CHOWN").replace("+++ 1229", '{"level":"info","msg":"started"}\n+++ 1229');
  assert.deepEqual(parseBaseline(logged), ["CAP_CHOWN"]);
  // A line of that shape in a list is not captrace's summary without its table.
  assert.throws(() => parseBaseline("Recommendation: CAP_CHOWN"), /'Recommendation:' is not a capability name/);
});

Deno.test("parseBaseline reads a clause whole: a list before '=' with no sets grants none, a nameless '+' is no clause", () => {
  assert.deepEqual(parseBaseline("/x cap_chown,cap_kill= cap_net_raw+p"), ["CAP_NET_RAW"]);
  assert.deepEqual(parseBaseline("cap_chown+e,cap_kill+p"), ["CAP_CHOWN", "CAP_KILL"]);
  assert.throws(() => parseBaseline("+ep"), /'\+ep' is not a capability name/);
});

Deno.test("parseBaseline reads a list of quoted names, and a getcap line whose list has a space after its comma", () => {
  assert.deepEqual(parseBaseline(`'cap_chown', 'cap_kill'`), ["CAP_CHOWN", "CAP_KILL"]);
  assert.deepEqual(parseBaseline(`"CAP_CHOWN","CAP_KILL"`), ["CAP_CHOWN", "CAP_KILL"]);
  assert.deepEqual(parseBaseline("cap_chown, cap_kill+ep"), ["CAP_CHOWN", "CAP_KILL"]);
});
