/** Reads `addr2line -a -f -p -i -C` output: per address, the chain of (possibly inlined) source frames. */

/** One frame as addr2line prints it; null where it printed `??` or `?`. */
export interface SourceFrame {
  function: string | null;
  file: string | null;
  line: number | null;
}

/** Everything addr2line said about one address, innermost frame first. */
export interface AddressFrames {
  address: bigint;
  frames: SourceFrame[];
}

const HEAD = /^0x([0-9a-fA-F]+): (.*)$/;
const INLINED = /^ \(inlined by\) (.*)$/;

/** One `FUNCTION at FILE:LINE [(discriminator N)]` text. */
export function parseFrame(text: string): SourceFrame {
  const body = text.replace(/ \(discriminator \d+\)$/, "");
  // "main at /src/t.c:5"; an unknown function comes without "at": "?? ??:0".
  const at = body.indexOf(" at ");
  const sep = at >= 0 ? at : body.indexOf(" ");
  const fn = sep < 0 ? body : body.slice(0, sep);
  const loc = sep < 0 ? "" : body.slice(sep + (at >= 0 ? 4 : 1));
  const colon = loc.lastIndexOf(":");
  const file = colon < 0 ? loc : loc.slice(0, colon);
  const line = colon < 0 ? "" : loc.slice(colon + 1);
  const n = /^\d+$/.test(line) ? Number(line) : 0;
  return {
    function: fn === "" || fn === "??" ? null : fn,
    file: file === "" || file === "??" ? null : file,
    line: n > 0 ? n : null,
  };
}

/**
 * Parse the whole output of one `addr2line -a -f -p -i -C -e BIN ADDR…` run, in order. Each address starts with
 * `0x…: ` (from -a); inlined callers follow as ` (inlined by) …` lines. Lines that fit neither are ignored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAddr2line } from "./addr2line.ts";
 * const [a] = parseAddr2line("0x0000000000001080: helper at /src/t.c:3\n (inlined by) main at /src/t.c:6\n");
 * assert(a?.frames.length === 2 && a.frames[0]?.line === 3);
 * ```
 */
export function parseAddr2line(text: string): AddressFrames[] {
  const out: AddressFrames[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    const head = HEAD.exec(line);
    if (head) {
      out.push({ address: BigInt("0x" + head[1]!), frames: [parseFrame(head[2]!)] });
      continue;
    }
    const inl = INLINED.exec(line);
    if (inl && out.length > 0) out[out.length - 1]!.frames.push(parseFrame(inl[1]!));
  }
  return out;
}

/**
 * The frame that names the call site: the innermost one. When the calling function was inlined, that is the
 * line inside the inlined function where the library call is written, the same line an unoptimized build
 * reports; the `(inlined by)` frames only say where that function was expanded.
 */
export function callSiteFrame(a: AddressFrames): SourceFrame {
  return a.frames[0] ?? { function: null, file: null, line: null };
}
