/** What to tell the user, as a pop-up, when a trace ended (pure, so it is unit-tested without VS Code). */

import { ExitCode } from "../../shared/exit_code.ts";
import type { SessionNode } from "./trace_model.ts";

/** How a trace ended. */
export interface TraceEnd {
  session: SessionNode;
  /** "exited with 1", "killed by SIGKILL", "did not start". */
  how: string;
  /** The last output captrace and the program wrote, to explain a start that failed without an error event. */
  tail: string;
  /** Started on its own (a debug session's), not by a command. */
  automatic: boolean;
}

/** A pop-up: its message, and the setting that fixes the cause, when one does. */
export interface Notice {
  message: string;
  setting: string | null;
}

/**
 * True when captrace's end is what a stop the user asked for gives: the stop's SIGTERM (143) or SIGINT (130) of the
 * program, or 0 (a trace of a running process, `--pid`, ended, the process left running), or captrace killed by the
 * stop's SIGTERM or its last resort, SIGKILL.
 */
export function endedByStop(code: number | null, signal: string | null): boolean {
  return [0, 130, 143].includes(code ?? -1) || ["SIGTERM", "SIGKILL"].includes(signal ?? "");
}

/**
 * How captrace ended, in words: "exited with 1", "killed by SIGKILL", "did not start", or "stopped" for a run the
 * user stopped that ended as a stop does (see endedByStop).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { howEnded } from "./end_notice.ts";
 * assert.equal(howEnded(143, null, true), "stopped");
 * assert.equal(howEnded(143, null, false), "exited with 143");
 * assert.equal(howEnded(1, null, true), "exited with 1");
 * ```
 */
export function howEnded(code: number | null, signal: string | null, stopped: boolean): string {
  if (stopped && endedByStop(code, signal)) return "stopped";
  return signal ? `killed by ${signal}` : code === null ? "did not start" : `exited with ${code}`;
}

/**
 * The message to pop up, or null when the end needs none: a trace the user stopped before it started, or a debug
 * session's whose debuggee ended before the attach, is logged only; an error after the trace started is shown.
 *
 * @example
 * ```ts
 * import { endNotice } from "./end_notice.ts";
 * import { TraceModel } from "./trace_model.ts";
 * const s = new TraceModel().startSession({ label: "./a.out" });
 * s.state = "failed";
 * if (endNotice({ session: s, how: "did not start", tail: "", automatic: false })?.setting !== null) throw new Error();
 * s.stopped = true;
 * if (endNotice({ session: s, how: "exited with 130", tail: "", automatic: false }) !== null) throw new Error();
 * ```
 */
export function endNotice(end: TraceEnd): Notice | null {
  const { session, how, tail, automatic } = end;
  const err = session.errors.at(-1);
  const said = err ? ` ${err.message}${err.hint ? ` (${err.hint})` : ""}` : "";
  if (session.state === "exited") {
    return err
      ? { message: `Captrace stopped tracing ${session.label} (captrace ${how}).${said}`, setting: null }
      : null;
  }
  if (session.state !== "failed" || session.stopped) return null;
  if (automatic && err?.exit_code === ExitCode.NO_SUCH_PROCESS) return null;
  // Not root: the CLI's hint (sudo on a command line) does not apply here; the elevation setting does.
  if (err?.exit_code === ExitCode.CANNOT_TRACE && /needs root/.test(err.message)) {
    return {
      message: `Captrace could not start tracing (${how}). ${err.message}: set captrace.elevation to sudo or pkexec.`,
      setting: "captrace.elevation",
    };
  }
  // The program, not the tracing, could not run; the CLI's `-u` is the captrace.user setting here.
  if (err && (err.exit_code === ExitCode.NOT_FOUND || err.exit_code === ExitCode.NOT_EXECUTABLE)) {
    const user = /\bleave out -u$/.test(err.hint ?? "");
    const hint = err.hint?.replace(/\bleave out -u$/, "clear the captrace.user setting") ?? null;
    return {
      message: `Captrace could not run ${session.label} (captrace ${how}). ${err.message}${hint ? ` (${hint})` : ""}`,
      setting: user ? "captrace.user" : null,
    };
  }
  const last = tail.trim().split("\n").at(-1)?.trim() ?? "";
  const hint = err
    ? said
    : /password is required|a terminal is required/.test(tail)
    ? " sudo needs a password here: allow captrace in sudoers (NOPASSWD) or use pkexec."
    : last !== ""
    ? ` ${last}`
    : "";
  return { message: `Captrace could not start tracing (${how}).${hint}`, setting: null };
}
