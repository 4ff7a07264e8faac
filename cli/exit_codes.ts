/** The error captrace ends with, and its exit codes (from shared/, where the extension reads them too). */

import type { ErrorEvent } from "../shared/event.ts";

export { ExitCode } from "../shared/exit_code.ts";

/** A failure captrace reports as one sentence, a hint, and the exit code it ends with. */
export class CaptraceError extends Error {
  readonly hint: string | null;
  readonly exitCode: number;
  /** Reported as an `error` event in a `--json` trace of its own (not stderr): stderr then gets the text. */
  inTrace = false;

  constructor(message: string, hint: string | null, exitCode: number) {
    super(message);
    this.name = "CaptraceError";
    this.hint = hint;
    this.exitCode = exitCode;
  }

  /** The text that reports this failure: `captrace: MESSAGE`, and its hint on a line of its own. */
  toText(): string {
    return `captrace: ${this.message}` + (this.hint ? `\n${this.hint}` : "");
  }

  /** The NDJSON v1 `error` event that reports this failure. */
  toEvent(): ErrorEvent {
    return { v: 1, type: "error", message: this.message, hint: this.hint, exit_code: this.exitCode };
  }
}

/**
 * The system's words for why an operation failed, as strerror(3) gives them: without Deno's ` (os error N)` and the
 * operation and path it adds (`: open '/x'`, or `: tmpdir` alone), which the sentence around it says already.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { reason } from "./exit_codes.ts";
 * assert.equal(reason(new Error("Is a directory (os error 21): open '/tmp/x'")), "Is a directory");
 * assert.equal(reason(new Error("No space left on device (os error 28)")), "No space left on device");
 * assert.equal(reason(new Error("No such file or directory (os error 2): tmpdir")), "No such file or directory");
 * assert.equal(reason(new Error("no such user")), "no such user");
 * ```
 */
export function reason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  return message.replace(/ \(os error \d+\)(?:: \w+(?: '.*')?)?$/s, "");
}
