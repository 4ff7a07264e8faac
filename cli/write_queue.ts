/**
 * Ordered writes to one file that never block captrace: a reader that stops reading (a stalled pipe, a FIFO held
 * open) must not keep its signals, its `--stop-with` or its stop input from being served.
 */

/** What a queue writes to: an open file, stdout or stderr. */
export interface Writable {
  write(p: Uint8Array): Promise<number>;
  writeSync(p: Uint8Array): number;
}

/** A reader that read nothing for a while once captrace was ending: the rest was given up. */
export class WriteStalled extends Error {
  constructor(ms: number) {
    super(`its reader stopped reading (nothing read for ${(ms / 1000).toFixed(1)} s as captrace ended)`);
    this.name = "WriteStalled";
  }
}

/** How long a queue waits for a reader that reads nothing, once told to give up (see giveUpWhenStalled). */
export const STALL_MS = 2000;

/**
 * The most one write of a queue that is not sync puts out: a blocking write returns once all of it is taken, so a
 * reader slow but reading shows progress this often (not once per batch).
 */
const MAX_WRITE = 16 << 10;

interface _Chunk {
  data: Uint8Array;
  /** Where the lines that count (see written) start in data. */
  marks: readonly number[];
  /** What the chunk is written after (another queue's writes to the same terminal, see idle). */
  after?: Promise<unknown> | undefined;
}

/**
 * Chunks written in order, one write in flight at a time. A write that fails ends the queue: the chunks after it are
 * dropped, and so are those pushed later. A queue on a file that never keeps a writer waiting (a regular file,
 * /dev/null) is `sync`: it writes each chunk as it is pushed, which is cheaper.
 */
export class WriteQueue {
  readonly #target: Writable;
  /** Chunks are written as they are pushed (and may be changed once push returns). */
  readonly sync: boolean;
  /** Where a write of `data` from `off` must end (a pipe's atomic pieces); by default the chunk's end. */
  readonly #piece: (data: Uint8Array, off: number) => number;
  readonly #chunks: _Chunk[] = [];
  #backlog = 0;
  #pumping = false;
  #error: Error | null = null;
  #written = 0;
  #lastProgress = performance.now();
  #givingUp = false;
  #wake: (() => void)[] = [];

  constructor(target: Writable, options: { piece?: (data: Uint8Array, off: number) => number; sync?: boolean } = {}) {
    this.#target = target;
    this.#piece = options.piece ?? ((data) => data.length);
    this.sync = options.sync ?? false;
  }

  /**
   * Queues `data`, which the queue keeps (not to be changed after, unless the queue is sync), `marks` the lines in it
   * that count; a queue that is not sync writes it once `after` has settled too.
   */
  push(data: Uint8Array, marks: readonly number[] = [], after?: Promise<unknown>): void {
    if (this.#error !== null || data.length === 0) return;
    if (this.sync) return this.#writeNow(data, marks);
    if (this.#chunks.length === 0) this.#lastProgress = performance.now();
    this.#chunks.push({ data, marks, after });
    this.#backlog += data.length;
    if (!this.#pumping) void this.#pump();
  }

  /** Bytes queued and not yet written. */
  get backlog(): number {
    return this.#backlog;
  }

  /** Why writing ended, or null. */
  get error(): Error | null {
    return this.#error;
  }

  /** The marked lines written out whole. */
  get written(): number {
    return this.#written;
  }

  /**
   * From now on a wait (see settle and relieve) gives the rest up when nothing was written for STALL_MS: captrace is
   * ending, and a reader that reads nothing must not keep it.
   */
  giveUpWhenStalled(): void {
    if (this.#givingUp) return;
    this.#givingUp = true;
    // A reader idle before is given STALL_MS from now, not taken for stalled at once.
    this.#lastProgress = performance.now();
    this.#notify();
  }

  /** Waits until at most `bytes` are queued, or the queue ends (written out, failed or given up). */
  async relieve(bytes: number, stallMs = STALL_MS): Promise<void> {
    while (this.#backlog > bytes && this.#error === null) {
      if (this.#givingUp && performance.now() - this.#lastProgress >= stallMs) {
        this.#fail(new WriteStalled(performance.now() - this.#lastProgress));
        return;
      }
      await this.#progress(Math.min(250, stallMs));
    }
  }

  /** Resolves once what is queued now is written, or the queue ends; it never gives anything up itself. */
  async idle(): Promise<void> {
    while (this.#backlog > 0 && this.#error === null) await this.#progress(250);
  }

  /** Waits until everything queued is written, or the queue ends; true when all of it was written. */
  async settle(stallMs = STALL_MS): Promise<boolean> {
    await this.relieve(0, stallMs);
    return this.#error === null;
  }

  #writeNow(data: Uint8Array, marks: readonly number[]): void {
    let off = 0;
    try {
      while (off < data.length) off += this.#target.writeSync(data.subarray(off, this.#piece(data, off)));
    } catch (e) {
      this.#written += linesWithin(data, marks, off);
      this.#fail(e as Error);
      return;
    }
    this.#written += marks.length;
    this.#lastProgress = performance.now();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    while (this.#chunks.length > 0 && this.#error === null) {
      const chunk = this.#chunks[0]!;
      let off = 0;
      try {
        if (chunk.after) await chunk.after;
        if (this.#error !== null) break;
        while (off < chunk.data.length) {
          const end = Math.min(this.#piece(chunk.data, off), off + MAX_WRITE);
          const n = await this.#target.write(chunk.data.subarray(off, end));
          // Given up while it was in flight: what it wrote is no longer counted.
          if (this.#error !== null) break;
          off += n;
          this.#backlog -= n;
          this.#lastProgress = performance.now();
          this.#notify();
        }
      } catch (e) {
        // Given up meanwhile (the write still in flight counts as not done): its lines are not counted twice.
        if (this.#error === null) {
          this.#written += linesWithin(chunk.data, chunk.marks, off);
          this.#fail(e as Error);
        }
        break;
      }
      if (this.#error !== null) break;
      this.#chunks.shift();
      this.#written += chunk.marks.length;
    }
    this.#pumping = false;
    this.#notify();
  }

  #fail(e: Error): void {
    this.#error = e;
    this.#chunks.length = 0;
    this.#backlog = 0;
    this.#notify();
  }

  /** Resolves at the next write done or change of state, or after `ms`. */
  #progress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake.push(done);
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const f of wake) f();
  }
}

/**
 * How many of the lines starting at `starts` (ascending offsets into `data`) end, newline included, within its first
 * `written` bytes: those a write that failed part way put out whole.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linesWithin } from "./write_queue.ts";
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
