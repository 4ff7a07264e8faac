/**
 * The signals that end a run (SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGALRM, SIGVTALRM) for the whole of it: noted before
 * the trace runs, handed to it while it does. SIGUSR2 is handed on apart, for the command alone.
 */

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

  constructor() {
    for (const sig of SIGNALS) {
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

  /** Stops listening: the default action applies again. */
  close(): void {
    for (const [sig, h] of this.#handlers) Deno.removeSignalListener(sig, h);
    this.#handlers = [];
    this.#target = null;
    this.#pass = null;
  }
}
