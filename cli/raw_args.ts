/**
 * The command's arguments as bytes. Deno hands captrace its arguments as strings, each byte that is not UTF-8 made
 * U+FFFD, so a Latin-1 file name given to the command would reach it altered. Where an argument is not UTF-8, its
 * bytes are read from /proc/self/cmdline and passed through the launcher's shell in an escaped form it decodes
 * (`printf %b`), so that the command gets them as they were given, as under strace.
 */

const _strict = new TextDecoder("utf-8", { fatal: true });

/** The NUL-terminated words of a /proc/PID/cmdline. */
export function cmdlineWords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === 0) {
      out.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < bytes.length) out.push(bytes.subarray(start));
  return out;
}

/** True when `b` is valid UTF-8. */
export function isUtf8(b: Uint8Array): boolean {
  try {
    _strict.decode(b);
    return true;
  } catch {
    return false;
  }
}

/**
 * `b` as an argument of `printf %b` that prints it back: bytes past ASCII and backslashes as `\0NNN` octal escapes,
 * the rest as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeForPrintf } from "./raw_args.ts";
 * assert.equal(escapeForPrintf(new Uint8Array([0x61, 0xff, 0x5c])), "a\\0377\\0134");
 * ```
 */
export function escapeForPrintf(b: Uint8Array): string {
  let out = "";
  for (const c of b) out += c >= 0x80 || c === 0x5c ? `\\0${c.toString(8).padStart(3, "0")}` : String.fromCharCode(c);
  return out;
}

/**
 * The last `count` arguments captrace was given, as bytes, when one of them is not UTF-8 (they then differ from their
 * strings); null when all are, or when they cannot be read.
 */
export function rawTail(count: number): Uint8Array[] | null {
  if (count === 0) return null;
  let words: Uint8Array[];
  try {
    words = cmdlineWords(Deno.readFileSync("/proc/self/cmdline"));
  } catch {
    return null;
  }
  if (words.length < count) return null;
  const tail = words.slice(words.length - count);
  return tail.every(isUtf8) ? null : tail;
}
