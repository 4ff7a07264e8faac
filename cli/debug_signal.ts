/**
 * SIGUSR1 ignored. Deno (2.9.2 and later) opens the V8 inspector on 127.0.0.1:9229 when a process is sent SIGUSR1,
 * with no authentication: for captrace, which runs as root, a stray `kill -USR1` (a `killall -USR1` meant for dd or a
 * log daemon) would let any local user run code as root. Deno takes the signal half a second after start and offers
 * no switch to turn that off, so captrace sets the signal's action to "ignore" through libc's signal(2), at once (the
 * default action would end captrace without its cleanup) and again once Deno has taken it.
 */

const SIGUSR1 = 10;
const SIG_IGN = 1n;
/** How often, and for how long, captrace looks whether Deno has taken the signal yet. */
const POLL_MS = 10;
const GIVE_UP_MS = 5000;

/** True when `/proc/self/status` says this process catches (`SigCgt`) signal `sig`. */
export function catches(status: string, sig: number): boolean {
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  return mask !== undefined && ((BigInt("0x" + mask) >> BigInt(sig - 1)) & 1n) === 1n;
}

/**
 * Ignores SIGUSR1 from now on, as far as this system's libc can be reached; a no-op where it cannot (no FFI, another
 * libc), which then says so through `onFail`. Returns a function that stops the watch early.
 */
export function ignoreDebugSignal(onFail: (why: string) => void = () => {}): () => void {
  let signal: (sig: number, handler: bigint) => unknown;
  try {
    const libc = Deno.dlopen("libc.so.6", { signal: { parameters: ["i32", "usize"], result: "usize" } });
    signal = (sig, handler) => libc.symbols.signal(sig, handler);
  } catch (e) {
    onFail(`libc's signal() not reached (${(e as Error).message}): SIGUSR1 would open Deno's inspector`);
    return () => {};
  }
  signal(SIGUSR1, SIG_IGN);
  const started = performance.now();
  const timer = setInterval(() => {
    let status = "";
    try {
      status = Deno.readTextFileSync("/proc/self/status");
    } catch {
      // no /proc: the deadline below ends the watch
    }
    if (catches(status, SIGUSR1)) {
      signal(SIGUSR1, SIG_IGN);
      clearInterval(timer);
    } else if (performance.now() - started > GIVE_UP_MS) clearInterval(timer);
  }, POLL_MS);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
