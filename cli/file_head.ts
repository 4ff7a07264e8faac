/** The first bytes of a file, and what they say it is: a `#!` script. */

/** The first bytes of `path` (at most `n`, one read) when it is a regular file; null otherwise. */
export async function fileHead(path: string, n: number): Promise<Uint8Array | null> {
  const st = await Deno.stat(path).catch(() => null);
  if (!st?.isFile) return null;
  let file: Deno.FsFile | null = null;
  try {
    file = await Deno.open(path);
    const head = new Uint8Array(n);
    const got = await file.read(head);
    return head.subarray(0, got ?? 0);
  } catch {
    return null;
  } finally {
    file?.close();
  }
}

/**
 * True when a file's first bytes are `#!`.
 *
 * @example
 * ```ts
 * import { hasShebang } from "./file_head.ts";
 * if (!hasShebang(new TextEncoder().encode("#!/bin/sh\n")) || hasShebang(new Uint8Array([0x23]))) throw new Error();
 * ```
 */
export function hasShebang(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x23 && head[1] === 0x21;
}
