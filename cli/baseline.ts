/** Reads a --baseline file. */

import { parseBaseline } from "../shared/baseline.ts";
import { CaptraceError, ExitCode } from "./exit_codes.ts";

/** The capability names in the baseline file; throws a usage error when it is unreadable or invalid. */
export async function readBaseline(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new CaptraceError(
      `Cannot read the baseline '${path}': ${(e as Error).message}`,
      "Give a --json trace with a summary, or a file of capability names",
      ExitCode.USAGE,
    );
  }
  try {
    return parseBaseline(text);
  } catch (e) {
    throw new CaptraceError(
      `The baseline '${path}' is not valid: ${_lowerFirst((e as Error).message)}`,
      "Use a --json trace or a text trace with its summary (-c), or capability names",
      ExitCode.USAGE,
    );
  }
}

/** `text` with its first letter lower case, to follow a colon ("The baseline JSON..." → "the baseline JSON..."). */
function _lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
