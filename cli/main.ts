/** captrace's entry point: parse arguments, run the trace, and exit. The only place that exits. */

import { HELP, parseOptions, VERSION, wantsJson } from "./args.ts";
import { CaptraceError, ExitCode } from "./exit_codes.ts";
import { runSession } from "./session.ts";
import { siteAnnotator } from "./site_resolver.ts";

function _report(e: CaptraceError, json: boolean): void {
  const text = json ? JSON.stringify(e.toEvent()) : `captrace: ${e.message}` + (e.hint ? `\n${e.hint}` : "");
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(text + "\n"));
  } catch {
    // stderr is gone or full: the exit status is all that is left to tell.
  }
}

async function main(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  try {
    const options = parseOptions(argv);
    if (options.help) {
      Deno.stdout.writeSync(new TextEncoder().encode(HELP));
      return ExitCode.OK;
    }
    if (options.version) {
      Deno.stdout.writeSync(new TextEncoder().encode(`captrace ${VERSION}\n`));
      return ExitCode.OK;
    }
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
  Deno.exit(await main(Deno.args));
}
