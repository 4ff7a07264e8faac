/** Where the trace goes: stderr or a file (or FIFO), written in batches so a busy trace stays cheap. */

const enc = new TextEncoder();

/** A line-oriented writer with a batch buffer. */
export class Sink {
  #file: Deno.FsFile | null;
  #buf: string[] = [];
  #size = 0;
  /** True when the trace shares stderr with captrace's own messages. */
  readonly isStderr: boolean;

  private constructor(file: Deno.FsFile | null) {
    this.#file = file;
    this.isStderr = file === null;
  }

  /** A sink on stderr. */
  static stderr(): Sink {
    return new Sink(null);
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
    return new Sink(file);
  }

  /** Queue one line. */
  line(text: string): void {
    this.#buf.push(text);
    this.#size += text.length;
    if (this.#size > 1 << 16) this.flush();
  }

  /** Write out what is queued. */
  flush(): void {
    if (this.#buf.length === 0) return;
    if (this.#broken) {
      this.#buf = [];
      this.#size = 0;
      return;
    }
    const data = enc.encode(this.#buf.join("\n") + "\n");
    this.#buf = [];
    this.#size = 0;
    const w = this.#file ?? Deno.stderr;
    let off = 0;
    while (off < data.length) {
      try {
        off += w.writeSync(data.subarray(off));
      } catch (e) {
        // A reader that went away (closed FIFO, EPIPE) must not crash the trace: drop further output.
        if (e instanceof Deno.errors.BrokenPipe) {
          this.#broken = true;
          return;
        }
        throw e;
      }
    }
  }

  #broken = false;
  /** True once the reader of the trace went away. */
  get broken(): boolean {
    return this.#broken;
  }

  /** Flush and close. */
  close(): void {
    this.flush();
    this.#file?.close();
    this.#file = null;
  }
}
