/**
 * SIGINT, SIGQUIT, SIGTERM and SIGHUP for the whole of a run: noted before the trace runs, handed to it while it does.
 */

const SIGNALS = ["SIGINT", "SIGQUIT", "SIGTERM", "SIGHUP"] as const;

/**
 * Listens from captrace's first steps, so that a signal there ends the run cleanly (its temporary files removed)
 * instead of killing it: one that comes before the trace runs is noted (`pending`) and handed to the trace when it
 * attaches; after the trace, signals are only noted while the run finishes.
 */
export class SignalRelay {
  #target: ((sig: Deno.Signal) => void) | null = null;
  #pending: Deno.Signal | null = null;
  #handlers: [Deno.Signal, () => void][] = [];

  constructor() {
    for (const sig of SIGNALS) {
      const h = () => {
        if (this.#target) this.#target(sig);
        else this.#pending ??= sig;
      };
      Deno.addSignalListener(sig, h);
      this.#handlers.push([sig, h]);
    }
  }

  /** The first signal that came while nothing was attached, or null. */
  get pending(): Deno.Signal | null {
    return this.#pending;
  }

  /** Hands signals to `target` from now on, starting with one that came before. */
  attach(target: (sig: Deno.Signal) => void): void {
    this.#target = target;
    const pending = this.#pending;
    this.#pending = null;
    if (pending) target(pending);
  }

  /** Only notes signals from now on. */
  detach(): void {
    this.#target = null;
  }

  /** Stops listening: the default action applies again. */
  close(): void {
    for (const [sig, h] of this.#handlers) Deno.removeSignalListener(sig, h);
    this.#handlers = [];
    this.#target = null;
  }
}
