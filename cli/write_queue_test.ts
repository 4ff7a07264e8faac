import assert from "node:assert/strict";
import { WriteQueue, WriteStalled } from "./write_queue.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A target that takes at most `max` bytes a write, and holds each write until released when `held`. */
class _Target {
  readonly got: string[] = [];
  held = false;
  /** Milliseconds a write takes per KiB it is given, all taken at once (a blocking pipe write). */
  perKiB = 0;
  fail: Error | null = null;
  #waiting: (() => void)[] = [];
  constructor(readonly max = Infinity, readonly delayMs = 0, readonly log: string[] = []) {}

  async write(p: Uint8Array): Promise<number> {
    if (this.held) await new Promise<void>((r) => this.#waiting.push(r));
    const ms = this.delayMs + this.perKiB * p.length / 1024;
    if (ms > 0) await new Promise((r) => setTimeout(r, ms));
    if (this.fail) throw this.fail;
    const n = Math.min(p.length, this.max);
    this.got.push(dec.decode(p.subarray(0, n)));
    this.log.push(dec.decode(p.subarray(0, n)));
    return n;
  }

  writeSync(p: Uint8Array): number {
    if (this.fail) throw this.fail;
    const n = Math.min(p.length, this.max);
    this.got.push(dec.decode(p.subarray(0, n)));
    return n;
  }

  release(): void {
    this.held = false;
    for (const r of this.#waiting.splice(0)) r();
  }
}

Deno.test("WriteQueue writes chunks in order, a short write's rest after it, and counts their marked lines", async () => {
  const t = new _Target(3);
  const q = new WriteQueue(t);
  q.push(enc.encode("ab\ncd\n"), [0, 3]);
  q.push(enc.encode("ef\n"), [0]);
  assert.equal(q.backlog, 9);
  assert.equal(await q.settle(), true);
  assert.equal(t.got.join(""), "ab\ncd\nef\n");
  assert.equal(q.backlog, 0);
  assert.equal(q.written, 3);
});

Deno.test("WriteQueue's pieces follow the function it is given", async () => {
  const t = new _Target();
  const q = new WriteQueue(t, { piece: (data, off) => Math.min(data.length, data.indexOf(10, off) + 1) });
  q.push(enc.encode("a\nbb\nc\n"));
  await q.settle();
  assert.deepEqual(t.got, ["a\n", "bb\n", "c\n"]);
});

Deno.test("WriteQueue: a failed write ends it; the lines it put out whole count, nothing after is written", async () => {
  const t = new _Target(4);
  const q = new WriteQueue(t);
  q.push(enc.encode("aa\nbb\ncc\n"), [0, 3, 6]);
  q.push(enc.encode("dd\n"), [0]);
  // The first write (4 bytes: "aa\nb") goes out, then the disk is full.
  const fail = new Error("No space left on device");
  setTimeout(() => t.fail = fail, 0);
  t.held = true;
  setTimeout(() => t.release(), 0);
  await q.settle();
  assert.equal(q.error, fail);
  assert.equal(q.written, 1, "only aa's line is whole");
  assert.equal(q.backlog, 0);
  q.push(enc.encode("ee\n"), [0]);
  assert.equal(q.backlog, 0, "pushed after, dropped");
  assert.equal(t.got.join(""), "aa\nb");
});

Deno.test("WriteQueue waits for a slow reader as long as it takes, until told to give up", async () => {
  const t = new _Target();
  t.held = true;
  const q = new WriteQueue(t);
  q.push(enc.encode("x\n"), [0]);
  let settled: boolean | null = null;
  const settling = q.settle(30).then((ok) => settled = ok);
  // Not stalled yet: nobody has said captrace is ending.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(settled, null);
  t.release();
  await settling;
  assert.equal(settled, true);
  assert.equal(q.written, 1);
});

Deno.test("WriteQueue, told to give up: a reader that reads nothing for the stall time ends it, its rest dropped", async () => {
  const t = new _Target();
  t.held = true;
  const q = new WriteQueue(t);
  q.push(enc.encode("x\n"), [0]);
  q.push(enc.encode("y\n"), [0]);
  q.giveUpWhenStalled();
  assert.equal(await q.settle(30), false);
  assert.ok(q.error instanceof WriteStalled, String(q.error));
  assert.match(q.error.message, /^its reader stopped reading \(nothing read for \d+\.\d s as captrace ended\)$/);
  assert.equal(q.backlog, 0);
  assert.equal(q.written, 0);
  // The write in flight coming back later counts for nothing.
  t.release();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(q.written, 0);
  assert.equal(q.backlog, 0);
});

Deno.test("WriteQueue.relieve waits only down to the bytes asked", async () => {
  const t = new _Target();
  t.held = true;
  const q = new WriteQueue(t);
  q.push(enc.encode("12345"));
  q.push(enc.encode("678"));
  let done = false;
  const relieved = q.relieve(3).then(() => done = true);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false);
  t.release();
  await relieved;
  assert.ok(q.backlog <= 3);
});

Deno.test("a sync WriteQueue writes as it is pushed (the caller may reuse its bytes), and fails the same way", () => {
  const t = new _Target(4);
  const q = new WriteQueue(t, { sync: true });
  const buf = enc.encode("aa\nbb\n");
  q.push(buf, [0, 3]);
  buf.fill(0);
  assert.equal(t.got.join(""), "aa\nbb\n");
  assert.equal(q.backlog, 0);
  assert.equal(q.written, 2);
  t.fail = new Error("No space left on device");
  q.push(enc.encode("cc\n"), [0]);
  assert.equal(q.error, t.fail);
  assert.equal(q.written, 2);
});

Deno.test("WriteQueue, told to give up: a reader slow but reading is not taken for stalled", async () => {
  // A blocking pipe write returns once its reader took all of it: 8 KiB each 20 ms, so the 256 KiB chunk takes
  // about 640 ms, more than the stall time, but in writes of at most 16 KiB it shows progress every 40 ms.
  const t = new _Target(Infinity, 0);
  t.perKiB = 20 / 8;
  const q = new WriteQueue(t);
  q.push(new Uint8Array(256 << 10).fill(97), []);
  q.giveUpWhenStalled();
  assert.equal(await q.settle(200), true, String(q.error));
  assert.equal(t.got.join("").length, 256 << 10);
});

Deno.test("WriteQueue, told to give up: a reader idle before is given the stall time from then", async () => {
  const t = new _Target();
  t.held = true;
  const q = new WriteQueue(t);
  q.push(enc.encode("x\n"), [0]);
  // Idle for longer than the stall time before captrace is told to end...
  await new Promise((r) => setTimeout(r, 150));
  q.giveUpWhenStalled();
  // ...then reading again within it.
  setTimeout(() => t.release(), 50);
  assert.equal(await q.settle(100), true, String(q.error));
});

Deno.test("WriteQueue writes a chunk pushed with `after` once that has settled: another queue's lines first", async () => {
  const log: string[] = [];
  const slow = new _Target(Infinity, 30, log);
  const other = new _Target(Infinity, 0, log);
  const trace = new WriteQueue(slow);
  const notices = new WriteQueue(other);
  trace.push(enc.encode("a\n"));
  trace.push(enc.encode("b\n"));
  notices.push(enc.encode("notice\n"), [], trace.idle());
  await notices.settle();
  assert.deepEqual(log, ["a\n", "b\n", "notice\n"]);
});
