/** captrace's exit codes. With a launched command, captrace otherwise exits with the command's own status. */

import type { ErrorEvent } from "../shared/event.ts";

export const ExitCode = {
  /** The trace ran and ended normally (pid and system modes). */
  OK: 0,
  /** The trace failed while running: the tracer died or its output stopped making sense. */
  TRACE_FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
  /** This machine cannot trace: not root, bpftrace missing or too old, no usable probe. */
  CANNOT_TRACE: 3,
  /** The process given with --pid does not exist. */
  NO_SUCH_PROCESS: 4,
  /** --baseline: the program needed a capability the baseline does not list. */
  BASELINE_EXCEEDED: 5,
  /** The command exists but cannot be executed. */
  NOT_EXECUTABLE: 126,
  /** The command was not found. */
  NOT_FOUND: 127,
} as const;

/** A failure captrace reports as one sentence, a hint, and the exit code it ends with. */
export class CaptraceError extends Error {
  readonly hint: string | null;
  readonly exitCode: number;

  constructor(message: string, hint: string | null, exitCode: number) {
    super(message);
    this.name = "CaptraceError";
    this.hint = hint;
    this.exitCode = exitCode;
  }

  /** The NDJSON v1 `error` event that reports this failure. */
  toEvent(): ErrorEvent {
    return { v: 1, type: "error", message: this.message, hint: this.hint, exit_code: this.exitCode };
  }
}
