/**
 * An input whose end stops the trace, for an editor that runs captrace (maybe as root, through sudo or pkexec, which
 * it cannot signal): captrace's stdin (--stdin-control) or a FIFO (--control), which leaves stdin to the command. A
 * byte 0x03 written to it (what Ctrl-C types) is an interrupt of the command (see Session's #interrupt).
 */

import { CaptraceError, ExitCode, reason } from "./exit_codes.ts";
import { onOwnFd, startTime } from "./procfs.ts";

/** What is read until it ends, and how its end is told. */
export interface StopInput {
  /** The option that gave it (`--control`), for notices. */
  readonly name: string;
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
    name: "--stdin-control",
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
 * for writing. Its end is when every writer has closed it. Throws a CaptraceError if it is not a FIFO, cannot be
 * opened, or could never end: captrace's own stdin (which the command reads), or held open for writing by captrace
 * itself (a descriptor it inherited, which the command would inherit too).
 */
export async function fifoStop(path: string): Promise<StopInput> {
  const hint = "Give --control a FIFO (mkfifo) and keep it open for writing for as long as the trace is to run";
  const fail = (message: string, why = hint) => new CaptraceError(message, why, ExitCode.USAGE);
  const info = await Deno.stat(path).catch((e) => {
    throw fail(`Cannot use '${path}' for --control: ${reason(e)}`);
  });
  if (!info.isFifo) throw fail(`'${path}' given to --control is not a FIFO`);
  const file = await Deno.open(path, { read: true }).catch((e) => {
    throw fail(`Cannot read '${path}' given to --control: ${reason(e)}`);
  });
  try {
    // What was opened, which may not be what was looked at.
    const opened = await file.stat();
    if (!opened.isFifo) throw fail(`'${path}' given to --control is not a FIFO`);
    if (await onOwnFd(0, opened)) {
      throw fail(
        `'${path}' given to --control is captrace's standard input, which the command reads`,
        "Give --control a FIFO of its own, or use --stdin-control",
      );
    }
    const fd = await _writerHeld(opened);
    if (fd !== null) {
      throw fail(
        `'${path}' given to --control is held open for writing by captrace itself (descriptor ${fd}, inherited): ` +
          "its end could never come",
        `Open it for writing once captrace runs, or keep the descriptor from captrace (${fd}>&-)`,
      );
    }
  } catch (e) {
    file.close();
    throw e;
  }
  return {
    name: "--control",
    read: (buf) => file.read(buf),
    closedNotice: "captrace: the control FIFO closed (--control): stopping the trace",
    closedEarly: {
      message: "The control FIFO closed before the trace started (--control): nothing was traced",
      hint: "Keep the control FIFO open for writing for as long as the trace is to run",
    },
  };
}

/** The number of a descriptor of this process open for writing on `fifo`, or null for none. */
async function _writerHeld(fifo: Deno.FileInfo): Promise<number | null> {
  for await (const entry of Deno.readDir("/proc/self/fd")) {
    if (!(await onOwnFd(entry.name, fifo))) continue;
    // The access mode (O_ACCMODE) in the octal flags: 1 write only, 2 read and write.
    const flags = /^flags:\s*([0-7]+)$/m.exec(
      await Deno.readTextFile(`/proc/self/fdinfo/${entry.name}`).catch(() => ""),
    );
    if (flags && (parseInt(flags[1]!, 8) & 3) !== 0) return Number(entry.name);
  }
  return null;
}

/** A process whose end stops the trace (--stop-with): `ended` settles when it has ended. */
export interface ProcessStop extends StopInput {
  /** False when the process was not running when it was first looked at. */
  readonly running: boolean;
  readonly ended: Promise<void>;
  /** Stops watching. */
  close(): void;
}

/** How often --stop-with's process is looked at. */
const PROCESS_POLL_MS = 200;

/**
 * Process `pid` (--stop-with), looked at every 200 ms: its end (or another process given its pid) stops the trace
 * as an input's end does. For an editor that runs captrace through sudo or pkexec, whose own end, even before
 * captrace opened the FIFOs it is given, must not leave captrace behind. Not running at all, it has ended.
 */
export async function processStop(pid: number): Promise<ProcessStop> {
  const started = await startTime(pid);
  let timer: ReturnType<typeof setInterval> | undefined;
  const ended = new Promise<void>((resolve) => {
    if (started === null) return resolve();
    timer = setInterval(async () => {
      if ((await startTime(pid)) !== started) {
        clearInterval(timer);
        resolve();
      }
    }, PROCESS_POLL_MS);
  });
  return {
    name: "--stop-with",
    running: started !== null,
    ended,
    read: () => ended.then(() => null),
    close: () => clearInterval(timer),
    closedNotice: `captrace: process ${pid} ended (--stop-with): stopping the trace`,
    closedEarly: {
      message: `Process ${pid} ended before the trace started (--stop-with): nothing was traced`,
      hint: "Give --stop-with a process that runs for as long as the trace is to run",
    },
  };
}

/** The end of either input: the first to end is the one the notices name. */
export function eitherStop(a: StopInput, b: ProcessStop): StopInput {
  let first: StopInput = a;
  const bEnded = b.ended.then(() => null);
  return {
    name: a.name,
    read: (buf) =>
      Promise.race([
        a.read(buf),
        bEnded.then(() => {
          first = b;
          return null;
        }),
      ]),
    get closedNotice() {
      return first.closedNotice;
    },
    get closedEarly() {
      return first.closedEarly;
    },
  };
}
