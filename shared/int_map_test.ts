/** Tests of IntMap against a reference Map under random churn, and of its order of insertion. */

import assert from "node:assert/strict";
import { IntMap } from "./int_map.ts";

Deno.test("int map agrees with a Map through 200,000 random sets and deletes, order included", () => {
  const m = new IntMap();
  const ref = new Map<number, number>();
  let s = 1;
  const rand = (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
  for (let step = 0; step < 200_000; step++) {
    const key = rand(5000);
    const op = rand(10);
    if (op < 5) {
      m.set(key, step);
      ref.delete(key); // a set makes the key the newest, as in the pending entries
      ref.set(key, step);
    } else if (op < 9) {
      assert.equal(m.delete(key), ref.delete(key));
    } else {
      const oldest = ref.keys().next();
      assert.equal(m.oldest(), oldest.done ? undefined : oldest.value, `step ${step}`);
      if (!oldest.done) {
        m.delete(oldest.value);
        ref.delete(oldest.value);
      }
    }
    assert.equal(m.size, ref.size);
  }
  for (const [k, v] of ref) assert.equal(m.get(k), v);
  for (let k = 0; k < 5000; k++) if (!ref.has(k)) assert.equal(m.get(k), undefined);
});

Deno.test("int map keeps probe runs intact when a key in the middle of one is deleted", () => {
  const m = new IntMap();
  // Enough keys to collide in a 64-slot table, then delete every other one and find the rest.
  for (let k = 0; k < 31; k++) m.set(k * 64, k);
  for (let k = 0; k < 31; k += 2) m.delete(k * 64);
  for (let k = 0; k < 31; k++) assert.equal(m.get(k * 64), k % 2 ? k : undefined);
  assert.equal(m.oldest(), 64);
});

Deno.test("int map rejects keys it cannot hold", () => {
  assert.throws(() => new IntMap().set(-1, 0), RangeError);
  assert.throws(() => new IntMap().set(2 ** 31, 0), RangeError);
});

Deno.test("IntMap finds nothing for a key out of range, -1 (its empty mark) included", () => {
  const m = new IntMap();
  assert.equal(m.get(-1), undefined);
  assert.equal(m.delete(-1), false);
  assert.equal(m.size, 0);
  m.set(5, 1);
  for (const k of [-1, 2 ** 31, 0.5]) {
    assert.equal(m.get(k), undefined);
    assert.equal(m.delete(k), false);
  }
  assert.equal(m.size, 1);
});
