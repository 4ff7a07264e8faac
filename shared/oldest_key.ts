/** Evicting from an insertion-ordered `Map` without rescanning the keys already deleted. */

/**
 * The oldest key of `map`, read from a cursor that lives as long as the map (start it as `{ keys: map.keys() }`). A
 * fresh `map.keys()` would skip every deleted slot at the front of V8's table each time, which made evicting one
 * entry per new one quadratic. Only evictions advance the cursor, so every live key lies after it, oldest first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { oldestKey } from "./oldest_key.ts";
 * const m = new Map([[1, "a"], [2, "b"]]);
 * const cursor = { keys: m.keys() };
 * m.delete(oldestKey(m, cursor));
 * assert.equal(oldestKey(m, cursor), 2);
 * ```
 */
export function oldestKey<K, V>(map: Map<K, V>, cursor: { keys: MapIterator<K> }): K {
  let next = cursor.keys.next();
  if (next.done) {
    cursor.keys = map.keys();
    next = cursor.keys.next();
  }
  return next.value as K;
}
