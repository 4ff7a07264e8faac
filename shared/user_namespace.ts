/** The initial user namespace, the one every other is made below. */

/** The inode number of the initial user namespace, the same on every kernel (PROC_USER_INIT_INO). */
export const INIT_USER_NS = 4026531837;

/**
 * True for the initial user namespace's inode number, or one not known (0, null: a record without it).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initialOrUnknown, INIT_USER_NS } from "./user_namespace.ts";
 * assert.ok(initialOrUnknown(INIT_USER_NS) && initialOrUnknown(null) && !initialOrUnknown(4026532177));
 * ```
 */
export function initialOrUnknown(ns: number | null | undefined): boolean {
  return !ns || ns === INIT_USER_NS;
}
