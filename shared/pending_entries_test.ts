/** Tests of the store of kprobe entries waiting for their return. */

import assert from "node:assert/strict";
import { PendingEntries } from "./pending_entries.ts";
import type { EntryRecord } from "./parse_line.ts";

function entry(tid: number, over: Partial<EntryRecord> = {}): EntryRecord {
  return {
    kind: "entry",
    ts: 832_350_166_387 + tid,
    pid: 200,
    tid,
    ppid: 1,
    uid: 1000,
    euid: 1000,
    cap: 13,
    opts: 2,
    sys: -1,
    userns: 4026531837,
    targetNs: 4026531838,
    ra: 0x55d1a0001189n,
    cs: 0xffffffffffffffffn,
    comm: "Web Content",
    ...over,
  };
}

Deno.test("pending entries give back every field of the entry a tid is inside, once", () => {
  const p = new PendingEntries(10);
  assert.equal(p.set(entry(5)), 0);
  assert.equal(p.set(entry(6, { comm: "ping" })), 0);
  assert.equal(p.size, 2);
  assert.deepEqual(p.take(5), entry(5));
  assert.equal(p.take(5), undefined);
  assert.equal(p.take(6)?.comm, "ping");
  assert.equal(p.size, 0);
});

Deno.test("pending entries replace an entry of the same tid and count it as dropped", () => {
  const p = new PendingEntries(10);
  p.set(entry(5, { cap: 1 }));
  assert.equal(p.set(entry(5, { cap: 2 })), 1);
  assert.equal(p.size, 1);
  assert.equal(p.take(5)?.cap, 2);
});

Deno.test("pending entries drop the oldest beyond their bound and reuse its room", () => {
  const p = new PendingEntries(100);
  let dropped = 0;
  for (let tid = 0; tid < 1000; tid++) dropped += p.set(entry(tid));
  assert.equal(dropped, 900);
  assert.equal(p.size, 100);
  assert.equal(p.take(899), undefined);
  for (let tid = 900; tid < 1000; tid++) assert.equal(p.take(tid)?.ts, 832_350_166_387 + tid);
  assert.equal(p.size, 0);
});

Deno.test("pending entries keep the arrival order when entries return out of order", () => {
  const p = new PendingEntries(3);
  for (const tid of [1, 2, 3]) p.set(entry(tid));
  p.take(2);
  p.set(entry(4));
  assert.equal(p.set(entry(5)), 1); // 1 is the oldest
  assert.equal(p.take(1), undefined);
  assert.deepEqual([3, 4, 5].map((t) => p.take(t)?.tid), [3, 4, 5]);
});
