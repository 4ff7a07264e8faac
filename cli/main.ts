/** captrace's entry point: parse arguments, run the trace, and exit. The only place that exits. */

import { HELP, parseOptions, VERSION, wantsJson } from "./args.ts";
import { CaptraceError, ExitCode, reason } from "./exit_codes.ts";
import { ignoreDebugSignal } from "./debug_signal.ts";
import { runSession } from "./session.ts";
import { siteAnnotator } from "./site_resolver.ts";
import { stderrQueue } from "./sink.ts";
import { findTool, forgetDenoPath } from "./system_tools.ts";

/** An error on stderr: an `error` event with --json, unless the trace (not stderr) has it already; else text. */
function _report(e: CaptraceError, json: boolean): void {
  _stderr(json && !e.inTrace ? JSON.stringify(e.toEvent()) : e.toText());
}

/** Writes a line to stderr, after the trace's and notices' lines queued there, if anyone still reads it. */
function _stderr(text: string): void {
  // stderr gone or full, the exit status is all that is left to tell.
  stderrQueue().push(new TextEncoder().encode(text + "\n"));
}

/** Writes `text` to stdout: exit 0, or 1 when it could not be written (a full disk), as coreutils do. */
function _print(text: string): number {
  const bytes = new TextEncoder().encode(text);
  try {
    for (let off = 0; off < bytes.length;) off += Deno.stdout.writeSync(bytes.subarray(off));
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) return ExitCode.OK;
    _report(new CaptraceError(`Cannot write to stdout: ${reason(e)}`, null, 1), false);
    return ExitCode.TRACE_FAILED;
  }
}

async function main(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  try {
    const options = parseOptions(argv);
    if (options.help || options.version) {
      // A reader that stops early (`captrace --help | head -1`) is not an error.
      return _print(options.help ? HELP : `captrace ${VERSION}\n`);
    }
    ignoreDebugSignal(options.debug ? (why) => _stderr(`captrace: ${why}`) : undefined);
    forgetDenoPath();
    // bpftrace by name: on PATH, else in the system's directories (as under `env -i`).
    if (!options.bpftrace.includes("/")) options.bpftrace = findTool(options.bpftrace) ?? options.bpftrace;
    return await runSession(options, { sites: siteAnnotator });
  } catch (e) {
    if (e instanceof CaptraceError) {
      _report(e, json);
      return e.exitCode;
    }
    _report(new CaptraceError(`Internal error: ${(e as Error)?.stack ?? e}`, "Please report this", 1), json);
    return ExitCode.TRACE_FAILED;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // What is queued for stderr is written first (a signal still ends captrace meanwhile: its handlers are gone).
  await stderrQueue().settle();
  Deno.exit(code);
}
