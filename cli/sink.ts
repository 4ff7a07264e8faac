/** Where the trace goes: stderr or a file (or FIFO), written in batches so a busy trace stays cheap. */

import { ByteBuffer } from "../shared/byte_buffer.ts";
import { onOwnFd } from "./procfs.ts";

/** Bytes queued before they are written out. */
const BATCH = 1 << 16;

/**
 * The most a write to a pipe puts in at once, never interleaved with another writer's (POSIX PIPE_BUF, Linux's 4096):
 * on a stderr the command writes to as well, the trace is written in whole lines of at most this much.
 */
const PIPE_BUF = 4096;

/**
 * A line-oriented writer with a batch buffer. Lines are queued as text (line) or written straight into the
 * buffer as bytes (out, then endLine), as the formatters of checks do.
 */
export class Sink {
  #file: Deno.FsFile | typeof Deno.stdout | null;
  /** The queued bytes; a formatter writes a line here, then calls endLine(). */
  readonly out = new ByteBuffer(BATCH * 2);
  /** True when the trace shares stderr with captrace's own messages. */
  readonly isStderr: boolean;
  /** True for a regular file (-o FILE), which is read on its own later; not a pipe, a FIFO or a terminal. */
  readonly isFile: boolean;
  /** On stderr, which a launched command writes to as well. */
  readonly #sharedWithCommand: boolean;

  private constructor(file: Deno.FsFile | typeof Deno.stdout | null, sharedWithCommand = false, regular = false) {
    this.#file = file;
    this.isStderr = file === null;
    this.isFile = regular;
    this.#sharedWithCommand = sharedWithCommand;
  }

  /**
   * A sink on stderr. `sharedWithCommand`: a launched command writes there too, so its reader going away does not
   * stop the trace (the command runs on, and meets it itself).
   */
  static stderr(sharedWithCommand: boolean): Sink {
    return new Sink(null, sharedWithCommand);
  }

  /** A sink on stdout (`-o -`), which a launched command writes to as well when `sharedWithCommand`. */
  static stdout(sharedWithCommand: boolean): Sink {
    return new Sink(Deno.stdout, sharedWithCommand);
  }

  /** A sink on `path`, created or truncated; a FIFO is opened for writing (waits for its reader). */
  static async open(path: string): Promise<Sink> {
    let fifo = false;
    try {
      fifo = (await Deno.stat(path)).isFifo ?? false;
    } catch {
      // does not exist yet
    }
    const file = await Deno.open(path, fifo ? { write: true } : { write: true, create: true, truncate: true });
    // A regular file of its own: not stderr's, where the notices go too (-o /dev/stderr, 2> that file).
    const st = await file.stat().catch(() => null);
    const regular = st?.isFile === true && !(await onOwnFd(2, st));
    return new Sink(file, false, regular);
  }

  /** Queue one line. */
  line(text: string): void {
    this.out.text(text);
    this.endLine();
  }

  /** Ends the line written into `out`. */
  endLine(): void {
    this.out.byte(10);
    if (this.out.length > BATCH) this.flush();
  }

  /**
   * Counts the line queued next as one of those whose fate is told (see written): a check's. Those not written were
   * queued once writing had failed, or were not wholly out when the write failed (a full disk takes part of it).
   */
  mark(): void {
    this.#marks.push(this.out.length);
  }
  /** Where in `out` each marked line queued since the last flush starts. */
  #marks: number[] = [];
  #written = 0;

  /** Marked lines written out. */
  get written(): number {
    return this.#written;
  }

  /** Write out what is queued. */
  flush(): void {
    if (this.out.length === 0) return;
    const data = this.out.view();
    this.out.clear(); // the bytes stay valid until the next write into out
    const marks = this.#marks;
    this.#marks = [];
    if (this.#broken) return;
    const w = this.#file ?? Deno.stderr;
    let off = 0;
    while (off < data.length) {
      try {
        off += w.writeSync(data.subarray(off, this.#sharedWithCommand ? _piece(data, off) : data.length));
      } catch (e) {
        // Further output is dropped. A failure (a full disk, or the reader of -o's FIFO or pipe, or of stderr with
        // --pid or system-wide, gone: nobody reads the trace) is kept for the session, which stops the trace and
        // reports it. A reader of stderr a launched command shares that went away is not one: its run goes on.
        this.#broken = true;
        if (!(e instanceof Deno.errors.BrokenPipe) || !this.#sharedWithCommand) this.#failure ??= e as Error;
        this.#written += linesWithin(data, marks, off);
        return;
      }
    }
    this.#written += marks.length;
  }

  #broken = false;
  /** True once the reader of the trace went away, or writing failed. */
  get broken(): boolean {
    return this.#broken;
  }

  #failure: Error | null = null;
  /** Why writing the trace failed (other than its reader going away), or null. */
  get failure(): Error | null {
    return this.#failure;
  }

  /** Flush and close (stdout stays open). */
  close(): void {
    this.flush();
    if (this.#file !== Deno.stdout) this.#file?.close();
    this.#file = null;
  }
}

/**
 * How many of the lines starting at `starts` (ascending offsets into `data`) end, newline included, within its first
 * `written` bytes: those a write that failed part way put out whole.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linesWithin } from "./sink.ts";
 * const data = new TextEncoder().encode("a\nbb\nccc\n");
 * assert.equal(linesWithin(data, [0, 2, 5], 6), 2);
 * assert.equal(linesWithin(data, [0, 2, 5], 5), 2);
 * assert.equal(linesWithin(data, [0, 2, 5], 4), 1);
 * ```
 */
export function linesWithin(data: Uint8Array, starts: readonly number[], written: number): number {
  let n = 0;
  for (const start of starts) {
    const end = data.indexOf(10, start);
    if (end < 0 || end >= written) break;
    n++;
  }
  return n;
}

/** Where the piece of `data` from `off` ends: its last whole line within PIPE_BUF bytes (a longer line as it is). */
function _piece(data: Uint8Array, off: number): number {
  const end = Math.min(data.length, off + PIPE_BUF);
  if (end === data.length) return end;
  const nl = data.lastIndexOf(10, end - 1);
  if (nl >= off) return nl + 1;
  const next = data.indexOf(10, end);
  return next === -1 ? data.length : next + 1;
}
