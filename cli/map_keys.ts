/** How big the kernel's map of exact counts should be made after it was found full (the `--map-keys` advice). */

import { DEFAULT_MAP_KEYS, MAX_MAP_KEYS } from "./args.ts";

/**
 * The `--map-keys` to run again with, after a map of `keys` keys was full and `missing` of the `seen` checks could not
 * be counted. Each missing check's key was a new one, so at most `missing` more are needed: that many, up to the
 * default map's size (a map takes longer to set up the bigger it is); beyond, about as many more per check as the
 * counted checks took (keys come with checks: new processes, new call paths). A power of two, at least twice `keys`,
 * with a quarter to spare, at most MAX_MAP_KEYS.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mapKeysAfterFull } from "./map_keys.ts";
 * // 1,024 keys held the first 1,800 of 10,800 checks, each process making its own.
 * assert.equal(mapKeysAfterFull(1024, 10_800, 9_000), 16384);
 * // 5,000 new processes' first checks missed among a million repeats: room for each.
 * assert.equal(mapKeysAfterFull(1024, 1_005_000, 5_000), 8192);
 * // Up to the default size, not beyond, for a key per missing check.
 * assert.equal(mapKeysAfterFull(65536, 1_000_000, 100_000), 131072);
 * // A million checks of new keys missed: as many more keys per check as the first million took.
 * assert.equal(mapKeysAfterFull(131072, 2_000_000, 1_000_000), 524288);
 * // Never beyond what --map-keys takes.
 * assert.equal(mapKeysAfterFull(1 << 25, 1e9, 9e8), 1 << 26);
 * ```
 */
export function mapKeysAfterFull(keys: number, seen: number, missing: number): number {
  const counted = Math.max(1, seen - missing);
  const likely = keys + Math.min(missing, Math.ceil(keys * (missing / counted)));
  const needed = Math.max(likely, Math.min(keys + missing, DEFAULT_MAP_KEYS / 1.25));
  let n = keys * 2;
  while (n < needed * 1.25 && n < MAX_MAP_KEYS) n *= 2;
  return Math.min(n, MAX_MAP_KEYS);
}
