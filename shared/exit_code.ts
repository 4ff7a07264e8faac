/**
 * captrace's exit codes, shared by the CLI, which exits with them, and the extension, which reads them from the
 * `error` event. With a launched command, captrace otherwise exits with the command's own status.
 */

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
