import assert from "node:assert/strict";
import { BoundedMap } from "./bounded_map.ts";

Deno.test("a new key in a full map drops the oldest; setting a held key neither evicts nor moves it", () => {
  const m = new BoundedMap<number, string>(3);
  m.set(1, "a").set(2, "b").set(3, "c");
  m.set(1, "A");
  assert.deepEqual([...m.keys()], [1, 2, 3]);
  assert.equal(m.get(1), "A");
  m.set(4, "d");
  assert.deepEqual([...m.keys()], [2, 3, 4]);
  assert.equal(m.has(1), false);
  assert.equal(m.size, 3);
});

Deno.test("a key deleted and set again is the newest", () => {
  const m = new BoundedMap<number, string>(3);
  m.set(1, "a").set(2, "b").set(3, "c");
  assert.equal(m.delete(1), true);
  assert.equal(m.delete(1), false);
  m.set(1, "a");
  m.set(4, "d");
  assert.deepEqual([...m.keys()], [3, 1, 4]);
});

Deno.test("evictions keep dropping the oldest key, across deletions, refills and a dropped cursor", () => {
  // A reference model: an array of keys, oldest first.
  const limit = 50;
  const m = new BoundedMap<number, number>(limit);
  const model: number[] = [];
  let seed = 7;
  const rand = (n: number) => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n;
  for (let i = 0; i < 20_000; i++) {
    // Phases: churn below the limit (the cursor is dropped), then fill and evict.
    const key = rand(i % 5000 < 2500 ? 60 : 400);
    if (rand(3) === 0) {
      const at = model.indexOf(key);
      assert.equal(m.delete(key), at >= 0);
      if (at >= 0) model.splice(at, 1);
    } else {
      if (!model.includes(key)) {
        if (model.length >= limit) model.shift();
        model.push(key);
      }
      m.set(key, i);
    }
    assert.equal(m.size, model.length);
  }
  assert.deepEqual([...m.keys()], model);
});

Deno.test("a map of one entry keeps the last key set", () => {
  const m = new BoundedMap<string, number>(1);
  for (const k of ["a", "b", "c", "b"]) m.set(k, 0);
  assert.deepEqual([...m.keys()], ["b"]);
});

Deno.test("a limit below 1 is refused", () => {
  assert.throws(() => new BoundedMap(0), RangeError);
  assert.throws(() => new BoundedMap(1.5), RangeError);
});
