/**
 * SIGUSR1 made harmless. Deno (2.9.2 and later) opens the V8 inspector on 127.0.0.1:9229 when a process is sent
 * SIGUSR1, with no authentication: for captrace, which runs as root, a stray `kill -USR1` (a `killall -USR1` meant for
 * dd or a log daemon) would let any local user run code as root. Deno takes the signal half a second after start and
 * offers no switch to turn that off, so captrace hands it to a handler of its own through libc's signal(2), at once
 * (the default action would end captrace without its cleanup) and again once Deno has taken it.
 *
 * The handler is libc's getpid(), which does nothing to speak of: a caught signal, unlike an ignored one, goes back to
 * its default action in the programs captrace starts (the command, bpftrace), as if captrace were not there. Where
 * SIGUSR1 was ignored when captrace started, it stays ignored, as the command would have found it.
 */

import { ignores } from "./procfs.ts";

const SIGUSR1 = 10;
const SIG_IGN = 1n;
/** How often, and for how long, captrace looks whether Deno has taken the signal yet. */
const POLL_MS = 10;
const GIVE_UP_MS = 5000;

const _SYMBOLS = {
  signal: { parameters: ["i32", "pointer"], result: "pointer" },
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
} as const;

/**
 * Makes SIGUSR1 harmless from now on, as far as this system's libc can be reached; a no-op where it cannot (no FFI,
 * another libc), which then says so through `onFail`. Returns a function that stops the watch early.
 */
export function ignoreDebugSignal(onFail: (why: string) => void = () => {}): () => void {
  let libc: Deno.DynamicLibrary<typeof _SYMBOLS>;
  let handler: Deno.PointerValue;
  try {
    libc = Deno.dlopen("libc.so.6", _SYMBOLS);
    const ignored = ignores(Deno.readTextFileSync("/proc/self/status"), SIGUSR1);
    // RTLD_DEFAULT is the null handle.
    handler = ignored
      ? Deno.UnsafePointer.create(SIG_IGN)
      : libc.symbols.dlsym(null, new TextEncoder().encode("getpid\0"));
    if (handler === null) throw new Error("getpid not found");
  } catch (e) {
    onFail(`libc's signal() not reached (${(e as Error).message}): SIGUSR1 would open Deno's inspector`);
    return () => {};
  }
  const mine = Deno.UnsafePointer.value(handler);
  libc.symbols.signal(SIGUSR1, handler);
  const started = performance.now();
  const timer = setInterval(() => {
    // Put back at once, whoever took it: the handler it replaced says whether that was Deno.
    const before = libc.symbols.signal(SIGUSR1, handler);
    const deno = Deno.UnsafePointer.value(before) !== mine;
    if (deno || performance.now() - started > GIVE_UP_MS) clearInterval(timer);
  }, POLL_MS);
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}
