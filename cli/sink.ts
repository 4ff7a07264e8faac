/** Where the trace goes: stderr or a file (or FIFO), written in batches so a busy trace stays cheap. */

import { ByteBuffer } from "../shared/byte_buffer.ts";
import { hasElfMagic } from "../shared/elf_layout.ts";
import { fileHead, hasShebang } from "./file_head.ts";
import { onOwnFd } from "./procfs.ts";
import { WriteQueue } from "./write_queue.ts";

/** Bytes queued before they are written out. */
const BATCH = 1 << 16;

/**
 * The most a write to a pipe puts in at once, never interleaved with another writer's (POSIX PIPE_BUF, Linux's 4096):
 * on a stderr the command writes to as well, the trace is written in whole lines of at most this much.
 */
const PIPE_BUF = 4096;

/** stderr's queue, which the trace on stderr and captrace's notices share, in the order they are written. */
let _stderr: WriteQueue | null = null;

/** The queue of captrace's stderr (whole lines of at most PIPE_BUF bytes: a launched command may write there too). */
export function stderrQueue(): WriteQueue {
  return _stderr ??= new WriteQueue(Deno.stderr, { piece: _piece, sync: _neverWaits(2, Deno.stderr) });
}

/**
 * True when captrace's descriptor `fd` is a file whose writes never wait for a reader: a regular file or a device
 * such as /dev/null, not a pipe, a FIFO, a socket or a terminal (which Ctrl-S or a stalled remote holds up).
 */
function _neverWaits(fd: number, file: { isTerminal(): boolean }): boolean {
  try {
    return _waitless(Deno.statSync(`/proc/self/fd/${fd}`), file);
  } catch {
    return false;
  }
}

function _waitless(st: Deno.FileInfo, file: { isTerminal(): boolean }): boolean {
  return st.isFile || ((st.isCharDevice ?? false) && !file.isTerminal()) || (st.isBlockDevice ?? false);
}

/**
 * A line-oriented writer with a batch buffer. Lines are queued as text (line) or written straight into the
 * buffer as bytes (out, then endLine), as the formatters of checks do. Batches are written in the background, in
 * order (see WriteQueue): a reader that does not read holds the trace up only where captrace waits for it (relieve,
 * close), never its signals.
 */
export class Sink {
  #file: Deno.FsFile | null;
  readonly #queue: WriteQueue;
  /** The queued bytes; a formatter writes a line here, then calls endLine(). */
  readonly out = new ByteBuffer(BATCH * 2);
  /** True when the trace shares stderr with captrace's own messages. */
  readonly isStderr: boolean;
  /**
   * True for a file of the trace's own (-o FILE, a FIFO or a pipe too), read apart from captrace's stderr: not
   * captrace's stdout or stderr (`-o -`, `/dev/stderr`), whose reader sees stderr's lines as well.
   */
  readonly isOwn: boolean;
  /** On stdout or stderr, which a launched command writes to as well. */
  readonly #sharedWithCommand: boolean;
  /** On captrace's stdout, or a path to its stdout or stderr: a file of another queue than stderr's notices. */
  readonly #onStdio: boolean;
  /** On a terminal, whose hangup (EIO) is its reader gone. */
  readonly isTerminal: boolean;

  private constructor(
    to: "stderr" | "stdout" | Deno.FsFile,
    sharedWithCommand = false,
    own = false,
    neverWaits = false,
    onStdio = false,
  ) {
    this.#file = typeof to === "string" ? null : to;
    this.isTerminal = (to === "stderr" ? Deno.stderr : to === "stdout" ? Deno.stdout : to).isTerminal();
    this.isStderr = to === "stderr";
    this.isOwn = own;
    this.#onStdio = to === "stdout" || onStdio;
    this.#sharedWithCommand = sharedWithCommand;
    const piece = sharedWithCommand ? _piece : undefined;
    this.#queue = to === "stderr"
      ? stderrQueue()
      : to === "stdout"
      ? new WriteQueue(Deno.stdout, { ...(piece ? { piece } : {}), sync: _neverWaits(1, Deno.stdout) })
      : new WriteQueue(to, { ...(piece ? { piece } : {}), sync: neverWaits });
    this.#writtenBefore = this.#queue.written;
  }

  /**
   * A sink on stderr. `sharedWithCommand`: a launched command writes there too, so its reader going away does not
   * stop the trace (the command runs on, and meets it itself).
   */
  static stderr(sharedWithCommand: boolean): Sink {
    return new Sink("stderr", sharedWithCommand);
  }

  /** A sink on stdout (`-o -`), which a launched command writes to as well when `sharedWithCommand`. */
  static stdout(sharedWithCommand: boolean): Sink {
    return new Sink("stdout", sharedWithCommand);
  }

  /**
   * A sink on `path`, created or truncated; a FIFO is opened for writing (waits for its reader). A path to captrace's
   * own stdout or stderr (`/dev/stdout`) is shared with a launched command as those are, when `sharedWithCommand`.
   */
  static async open(path: string, sharedWithCommand = false): Promise<Sink> {
    const before = await Deno.stat(path).catch(() => null); // null: does not exist yet
    const fifo = before?.isFifo ?? false;
    // A program (`-o ./tool -- ./tool`, a slip of the keyboard) is not truncated into a trace: an executable file
    // that starts as one does (ELF, `#!`); on vfat or drvfs every file has execute bits.
    if (before?.isFile && ((before.mode ?? 0) & 0o111) !== 0 && (await _startsAsProgram(path))) {
      throw new Error("it is an executable file, which the trace would overwrite");
    }
    const file = await Deno.open(path, fifo ? { write: true } : { write: true, create: true, truncate: true });
    // A regular file of its own: not stderr's, where the notices go too (-o /dev/stderr, 2> that file).
    const st = await file.stat().catch(() => null);
    const ownStdio = (await onOwnFd(1, st)) || (await onOwnFd(2, st));
    return new Sink(file, sharedWithCommand && ownStdio, !ownStdio, st !== null && _waitless(st, file), ownStdio);
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
  /** Marked lines the queue had written before this sink's (stderr's is shared). */
  readonly #writtenBefore: number;

  /** Marked lines written out. */
  get written(): number {
    return this.#queue.written - this.#writtenBefore;
  }

  /** Hands what is queued to the writer, which writes it in the background. */
  flush(): void {
    if (this.out.length === 0) return;
    // Unless written now, a copy: `out` is written into again at once.
    this.#queue.push(this.#queue.sync ? this.out.view() : this.out.view().slice(), this.#marks);
    this.out.clear();
    this.#marks = [];
  }

  /**
   * What a notice on stderr is to be written after: the trace's lines queued before it, when they go to captrace's
   * stdout (perhaps the same terminal) through a queue of their own; else nothing to wait for.
   */
  noticeAfter(): Promise<void> | undefined {
    return this.#onStdio && !this.#queue.sync && this.#queue.backlog > 0 ? this.#queue.idle() : undefined;
  }

  /** Bytes handed to the writer and not yet written. */
  get backlog(): number {
    return this.#queue.backlog;
  }

  /** Waits until at most `bytes` are left to write, or writing ended (see WriteQueue.relieve). */
  relieve(bytes: number): Promise<void> {
    return this.#queue.relieve(bytes);
  }

  /**
   * captrace is ending (a signal, its stop input): waits for a reader that reads nothing end after STALL_MS, the rest of
   * the trace and of stderr's notices given up.
   */
  ending(): void {
    this.#queue.giveUpWhenStalled();
    stderrQueue().giveUpWhenStalled();
  }

  /** True once the reader of the trace went away, or writing failed or was given up. */
  get broken(): boolean {
    return this.#queue.error !== null;
  }

  /**
   * Why writing the trace failed, or null: a failure (a full disk, or the reader of -o's FIFO or pipe, or of stderr
   * with --pid or system-wide, gone: nobody reads the trace) is kept for the session, which stops the trace and
   * reports it. A reader of a stream a launched command shares that went away is not one, nor a terminal hung up (an
   * ssh connection dropped: EIO): its run goes on, as it would without captrace.
   */
  get failure(): Error | null {
    const e = this.#queue.error;
    return this.#sharedWithCommand && readerGone(e, this.isTerminal) ? null : e;
  }

  /** Flushes, waits for it all to be written (see ending), and closes (stdout and stderr stay open). */
  async close(): Promise<void> {
    this.flush();
    await this.#queue.settle();
    await stderrQueue().settle();
    this.#file?.close();
    this.#file = null;
  }
}

/**
 * True for a write error that says the stream's reader is gone: a pipe's (EPIPE), or when `terminal`, its hangup
 * (EIO; on a disk, EIO is a failure).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readerGone } from "./sink.ts";
 * const eio = Object.assign(new Error("Input/output error (os error 5)"), { code: "EIO" });
 * assert.ok(readerGone(new Deno.errors.BrokenPipe(), false));
 * assert.ok(readerGone(eio, true) && !readerGone(eio, false));
 * assert.ok(!readerGone(Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" }), true));
 * ```
 */
export function readerGone(e: Error | null, terminal: boolean): boolean {
  return e instanceof Deno.errors.BrokenPipe || (terminal && (e as { code?: unknown } | null)?.code === "EIO");
}

/** True when the file at `path` starts as a program does: ELF's magic number, or `#!`. */
async function _startsAsProgram(path: string): Promise<boolean> {
  const head = await fileHead(path, 4);
  return head !== null && (hasElfMagic(head) || hasShebang(head));
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
