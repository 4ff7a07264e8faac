import { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { ErrorEvent } from "../../shared/event.ts";
import { endNotice, type TraceEnd } from "./end_notice.ts";
import { readyEvent } from "./_testdata.ts";
import { TraceModel } from "./trace_model.ts";

function ended(opts: { ready: boolean; stopped?: boolean; error?: ErrorEvent; code: number | null }) {
  const model = new TraceModel();
  const s = model.startSession({ label: "./server" });
  if (opts.ready) model.apply(s.id, readyEvent(7));
  if (opts.error) model.apply(s.id, opts.error);
  s.stopped = opts.stopped ?? false;
  model.endSession(s.id, opts.code);
  return s;
}

/** The pop-up's message, or null for none. */
function said(end: TraceEnd): string | null {
  return endNotice(end)?.message ?? null;
}

const gone: ErrorEvent = { v: 1, type: "error", message: "No process with pid 7", hint: null, exit_code: 4 };
const died: ErrorEvent = { v: 1, type: "error", message: "bpftrace ended", hint: "Run it again", exit_code: 1 };

Deno.test("a trace that never started says why, from its error or its last output", () => {
  const how = "exited with 3";
  assertEquals(
    said({ session: ended({ ready: false, error: died, code: 3 }), how, tail: "", automatic: false }),
    "Captrace could not start tracing (exited with 3). bpftrace ended (Run it again)",
  );
  assertEquals(
    said({
      session: ended({ ready: false, code: 1 }),
      how: "exited with 1",
      tail: "x\nlast words\n",
      automatic: false,
    }),
    "Captrace could not start tracing (exited with 1). last words",
  );
  assertEquals(
    said({ session: ended({ ready: false, code: 1 }), how, tail: "sudo: a password is required", automatic: false }),
    "Captrace could not start tracing (exited with 3). sudo needs a password here: allow captrace in sudoers " +
      "(NOPASSWD) or use pkexec.",
  );
});

Deno.test("without root, the pop-up points at the elevation setting, not at sudo on a command line", () => {
  const root: ErrorEvent = {
    v: 1,
    type: "error",
    message: "Tracing needs root: bpftrace runs as root only, whatever capabilities another user holds",
    hint: "Run it with sudo, e.g. 'sudo captrace -u $USER -- ./program'",
    exit_code: 3,
  };
  const session = ended({ ready: false, error: root, code: 3 });
  assertEquals(endNotice({ session, how: "exited with 3", tail: "", automatic: false }), {
    message: "Captrace could not start tracing (exited with 3). Tracing needs root: bpftrace runs as root only, " +
      "whatever capabilities another user holds: set captrace.elevation to sudo or pkexec.",
    setting: "captrace.elevation",
  });
});

Deno.test("a trace stopped before it started, or a debuggee gone before the attach, pops nothing up", () => {
  const stopped = ended({ ready: false, stopped: true, code: 130 });
  assertEquals(said({ session: stopped, how: "exited with 130", tail: "", automatic: false }), null);
  const auto = ended({ ready: false, error: gone, code: 4 });
  assertEquals(said({ session: auto, how: "exited with 4", tail: "", automatic: true }), null);
  // Asked for by the user (Attach to Process…), the same end is said.
  assertEquals(
    said({ session: auto, how: "exited with 4", tail: "", automatic: false }),
    "Captrace could not start tracing (exited with 4). No process with pid 7",
  );
});

Deno.test("an error after the trace started is shown; a program's own exit status is not", () => {
  assertEquals(
    said({ session: ended({ ready: true, error: died, code: 1 }), how: "exited with 1", tail: "", automatic: true }),
    "Captrace stopped tracing ./server (captrace exited with 1). bpftrace ended (Run it again)",
  );
  assertEquals(
    said({ session: ended({ ready: true, code: 1 }), how: "exited with 1", tail: "", automatic: false }),
    null,
  );
});

Deno.test("a program that cannot run says so, with captrace.user where the CLI's hint says -u", () => {
  const denied: ErrorEvent = {
    v: 1,
    type: "error",
    message: "Command './deny.c' is not executable by nobody",
    hint: "Let nobody run it (chmod o+x ./deny.c, and o+x on the directories above it), or leave out -u",
    exit_code: 126,
  };
  assertEquals(
    endNotice({
      session: ended({ ready: false, error: denied, code: 126 }),
      how: "exited with 126",
      tail: "",
      automatic: false,
    }),
    {
      message:
        "Captrace could not run ./server (captrace exited with 126). Command './deny.c' is not executable by nobody " +
        "(Let nobody run it (chmod o+x ./deny.c, and o+x on the directories above it), or clear the captrace.user " +
        "setting)",
      setting: "captrace.user",
    },
  );
  const missing: ErrorEvent = {
    ...denied,
    message: "Command './x' was not found",
    hint: "Check the path",
    exit_code: 127,
  };
  assertEquals(
    endNotice({
      session: ended({ ready: false, error: missing, code: 127 }),
      how: "exited with 127",
      tail: "",
      automatic: false,
    }),
    {
      message:
        "Captrace could not run ./server (captrace exited with 127). Command './x' was not found (Check the path)",
      setting: null,
    },
  );
});
