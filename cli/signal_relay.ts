/**
 * The signals that end a run (SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGALRM, SIGVTALRM) for the whole of it: noted before
 * the trace runs, handed to it while it does. SIGUSR2 is handed on apart, for the command alone. A signal ignored when
 * captrace started (`nohup`'s SIGHUP, SIGINT and SIGQUIT for a shell's background job) stays ignored, by captrace and
 * by the command, which would have found it so without captrace.
 */

import { ignores } from "./procfs.ts";
import { signalNumber } from "../shared/signals.ts";

const SIGNALS = ["SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP", "SIGALRM", "SIGVTALRM"] as const;
/** A command may take these for a request of its own (a log reopened): passed on, they end nothing. */
const PASSED = ["SIGUSR2"] as const;

/**
 * Listens from captrace's first steps, so that a signal there ends the run cleanly (its temporary files removed)
 * instead of killing it: one that comes before the trace runs is noted (`pending`) and handed to the trace when it
 * attaches; after the trace, signals are only noted while the run finishes.
 */
export class SignalRelay {
  #target: ((sig: Deno.Signal) => void) | null = null;
  #pass: ((sig: Deno.Signal) => void) | null = null;
  #pending: Deno.Signal | null = null;
  #handlers: [Deno.Signal, () => void][] = [];
  #early = new AbortController();
  #attached = false;
  /** The signals of SIGNALS and PASSED ignored at start. */
  readonly ignored: Deno.Signal[] = [];

  /** `ignored` says which signals were ignored at start (read from /proc/self/status by default). */
  constructor(ignored: (sig: Deno.Signal) => boolean = _ignoredAtStart()) {
    for (const sig of [...SIGNALS, ...PASSED]) {
      if (!ignored(sig)) continue;
      this.ignored.push(sig);
      // Deno's first listener of any signal makes SIGINT, SIGHUP and SIGTERM end the process unless listened for:
      // one that does nothing keeps them ignored. It stays to the end (see close). The command gets them ignored
      // from its launcher.
      Deno.addSignalListener(sig, _ignore);
    }
    for (const sig of SIGNALS) {
      if (this.ignored.includes(sig)) continue;
      const h = () => {
        if (this.#target) this.#target(sig);
        else {
          this.#pending ??= sig;
          if (!this.#attached) this.#early.abort();
        }
      };
      Deno.addSignalListener(sig, h);
      this.#handlers.push([sig, h]);
    }
    // Before the trace runs, or without a command, they are dropped.
    for (const sig of PASSED) {
      if (this.ignored.includes(sig)) continue;
      const h = () => this.#pass?.(sig);
      Deno.addSignalListener(sig, h);
      this.#handlers.push([sig, h]);
    }
  }

  /** Aborted by a signal that comes before the trace is attached: what the start waits for is given up. */
  get early(): AbortSignal {
    return this.#early.signal;
  }

  /** True once a trace took the signals over (see attach): a run stopped later was not stopped before its trace. */
  get attached(): boolean {
    return this.#attached;
  }

  /** The first signal that came while nothing was attached, or null. */
  get pending(): Deno.Signal | null {
    return this.#pending;
  }

  /** Hands signals to `target` from now on, starting with one that came before, and those passed on to `pass`. */
  attach(target: (sig: Deno.Signal) => void, pass: ((sig: Deno.Signal) => void) | null = null): void {
    this.#target = target;
    this.#pass = pass;
    this.#attached = true;
    const pending = this.#pending;
    this.#pending = null;
    if (pending) target(pending);
  }

  /** Only notes signals from now on. */
  detach(): void {
    this.#target = null;
    this.#pass = null;
  }

  /** Stops listening: the default action applies again (for a signal ignored at start, it stays ignored). */
  close(): void {
    for (const [sig, h] of this.#handlers) Deno.removeSignalListener(sig, h);
    this.#handlers = [];
    this.#target = null;
    this.#pass = null;
  }
}

function _ignore(): void {}

/** Which signals this process ignores now; none when /proc cannot say. */
function _ignoredAtStart(): (sig: Deno.Signal) => boolean {
  let status = "";
  try {
    status = Deno.readTextFileSync("/proc/self/status");
  } catch {
    // no /proc: listen for all
  }
  return (sig) => {
    const n = signalNumber(sig);
    return n !== null && ignores(status, n);
  };
}
