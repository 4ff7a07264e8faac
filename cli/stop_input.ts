/**
 * An input whose end stops the trace, for an editor that runs captrace (maybe as root, through sudo or pkexec, which
 * it cannot signal): captrace's stdin (--stdin-control) or a FIFO (--control), which leaves stdin to the command.
 */

import { CaptraceError, ExitCode } from "./exit_codes.ts";

/** What is read until it ends, and how its end is told. */
export interface StopInput {
  /** Reads into `buf`: null at the end of input. */
  read(buf: Uint8Array): Promise<number | null>;
  /** The notice that the input ended while the trace ran. */
  readonly closedNotice: string;
  /** The error when it ended before the trace began: what ended, and its hint. */
  readonly closedEarly: { message: string; hint: string };
}

/** captrace's own stdin (--stdin-control). */
export function stdinStop(): StopInput {
  return {
    read: (buf) => Deno.stdin.read(buf),
    closedNotice: "captrace: standard input closed (--stdin-control): stopping the trace",
    closedEarly: {
      message: "Standard input closed before the trace started (--stdin-control): nothing was traced",
      hint: "Keep captrace's standard input open for as long as the trace is to run",
    },
  };
}

/**
 * The FIFO at `path` (--control), opened for reading: this waits, as any FIFO's reader does, until something opens it
 * for writing. Its end is when every writer has closed it. Throws a CaptraceError if it is not a FIFO or cannot be
 * opened.
 */
export async function fifoStop(path: string): Promise<StopInput> {
  const hint = "Give --control a FIFO (mkfifo) and keep it open for writing for as long as the trace is to run";
  const info = await Deno.stat(path).catch((e) => {
    throw new CaptraceError(`Cannot use '${path}' for --control: ${(e as Error).message}`, hint, ExitCode.USAGE);
  });
  if (!info.isFifo) throw new CaptraceError(`'${path}' given to --control is not a FIFO`, hint, ExitCode.USAGE);
  const file = await Deno.open(path, { read: true }).catch((e) => {
    throw new CaptraceError(`Cannot read '${path}' given to --control: ${(e as Error).message}`, hint, ExitCode.USAGE);
  });
  return {
    read: (buf) => file.read(buf),
    closedNotice: "captrace: the control FIFO closed (--control): stopping the trace",
    closedEarly: {
      message: "The control FIFO closed before the trace started (--control): nothing was traced",
      hint: "Keep the control FIFO open for writing for as long as the trace is to run",
    },
  };
}
