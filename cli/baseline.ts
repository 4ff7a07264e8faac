/** Reads a --baseline file. */

import { parseBaseline } from "../shared/baseline.ts";
import { CaptraceError, ExitCode, reason } from "./exit_codes.ts";

/**
 * The most of a baseline read, in bytes: of a longer file, its end, which holds a --json trace's summary and a -c
 * trace's recommendation; a stream (a FIFO, a device) longer than this is refused.
 */
export const BASELINE_MAX = 64 * 1024 * 1024;

/**
 * The capability names in the baseline file (`-`: standard input, read to its end); throws a usage error when it is
 * unreadable, longer than `max` bytes without an end to read (a stream), or invalid.
 */
export async function readBaseline(path: string, max = BASELINE_MAX): Promise<string[]> {
  let text: string;
  try {
    text = await _readEnd(path, max);
  } catch (e) {
    if (e instanceof CaptraceError) throw e;
    throw new CaptraceError(
      `Cannot read the baseline '${path}': ${reason(e)}`,
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

/**
 * The file's text, or its last `max` bytes when it is a longer file (from the first line that begins in them: a name
 * cut in two is no name); a stream longer than that is refused.
 */
async function _readEnd(path: string, max: number): Promise<string> {
  const file = await Deno.open(path === "-" ? "/dev/stdin" : path);
  try {
    const info = await file.stat();
    // Of a longer file, the byte before its last `max` too: the line that byte ends, or is in, is left out.
    const cut = info.isFile && info.size > max;
    if (cut) await file.seek(info.size - max - 1, Deno.SeekMode.Start);
    const most = cut ? max + 1 : max;
    const decoder = new TextDecoder();
    const buf = new Uint8Array(1 << 16);
    let text = "";
    let n = 0;
    for (let got = await file.read(buf); got !== null; got = await file.read(buf)) {
      n += got;
      if (n > most) {
        throw new CaptraceError(
          `The baseline '${path}' is longer than ${max.toLocaleString("en-US")} bytes, and has no end to read`,
          "Give a --json trace with a summary, a text trace with its summary (-c), or a file of capability names",
          ExitCode.USAGE,
        );
      }
      text += decoder.decode(buf.subarray(0, got), { stream: true });
    }
    text += decoder.decode();
    return cut ? text.slice(text.indexOf("\n") + 1) : text;
  } finally {
    file.close();
  }
}

/** `text` with its first letter lower case, to follow a colon ("The baseline JSON..." → "the baseline JSON..."). */
function _lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
