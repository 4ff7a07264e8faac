/** Tests of TimeOrder: events from several CPUs put back in time order. */

import assert from "node:assert/strict";
import { TimeOrder } from "./time_order.ts";

Deno.test("TimeOrder holds events until later ones arrive, then gives them in time order", () => {
  const o = new TimeOrder<string>(10);
  o.push(100, "a");
  o.push(105, "b");
  assert.deepEqual(o.takeSettled([]), [], "nothing is 10 older than the newest yet");
  o.push(103, "late");
  o.push(112, "c");
  assert.deepEqual(o.takeSettled([]), ["a"]);
  o.push(200, "d");
  assert.deepEqual(o.takeSettled([]), ["late", "b", "c"]);
  assert.equal(o.size, 1);
  assert.deepEqual(o.takeAll([]), ["d"]);
  assert.equal(o.size, 0);
});

Deno.test("TimeOrder keeps the arrival order of equal times, and of an event pushed before all others", () => {
  const o = new TimeOrder<string>(0);
  o.push(5, "x");
  o.push(5, "y");
  o.push(1, "first");
  o.push(5, "z");
  assert.deepEqual(o.takeAll([]), ["first", "x", "y", "z"]);
});

Deno.test("TimeOrder sorts a shuffled stream and compacts what it gave away", () => {
  const o = new TimeOrder<number>(50);
  const got: number[] = [];
  // Each event arrives up to 40 late: within the hold, so the order is exact.
  for (let t = 0; t < 20000; t += 10) {
    o.push(t, t);
    if (t % 50 === 0 && t >= 40) o.push(t - 35, t - 35);
    o.takeSettled(got);
  }
  o.takeAll(got);
  const sorted = [...got].sort((a, b) => a - b);
  assert.deepEqual(got, sorted);
  assert.equal(got.length, 2000 + 399);
});

Deno.test("TimeOrder widens its hold to twice how late an event came, up to its most", () => {
  const o = new TimeOrder<string>(10, 100);
  o.push(100, "a");
  o.push(120, "b");
  assert.deepEqual(o.takeSettled([]), ["a"]);
  // 15 older than what was given out: given out late, and the hold is 30 from now on.
  o.push(85, "late");
  assert.equal(o.holdNs, 30);
  o.push(140, "c");
  assert.deepEqual(o.takeSettled([]), ["late"], "held 30: b (120) waits for 150");
  o.push(125, "within");
  o.push(160, "d");
  assert.deepEqual(o.takeSettled([]), ["b", "within"], "125, 15 after b was due by the old hold, still in order");
  o.push(0, "very late");
  assert.equal(o.holdNs, 100, "no more than its most");
});

Deno.test("TimeOrder learns nothing from what takeAll gives out unless settled: a busy stream's reads", () => {
  const o = new TimeOrder<string>(10, 100);
  o.push(100, "a");
  o.takeAll([]);
  o.push(60, "other CPU");
  assert.equal(o.holdNs, 10, "a busy read's events from another CPU come later by design");
  o.takeAll([], true);
  o.push(40, "late after a quiet flush");
  assert.equal(o.holdNs, 40);
});
