/** What "Debug with Capability Trace" says of the captrace.user setting, which a debugged program does not run as. */

/**
 * The note to show when `setting` (captrace.user: a name or a uid) names a user other than VS Code's own (`me`): the
 * debugger starts the program as VS Code's user, and the trace attaches to it; `-u` is for Run with Capability Trace.
 * Null when there is nothing to say.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { debugUserNote } from "./debug_user_note.ts";
 * const me = { name: "dev", uid: 1000 };
 * assert.equal(debugUserNote("", me, "Launch"), null);
 * assert.equal(debugUserNote("1000", me, "Launch"), null);
 * assert.match(debugUserNote("nobody", me, "Launch")!, /runs as dev, not as nobody/);
 * ```
 */
export function debugUserNote(setting: string, me: { name: string; uid: number }, config: string): string | null {
  const user = setting.trim();
  if (user === "" || user === me.name || user === String(me.uid)) return null;
  return `Captrace: "${config}" runs as ${me.name}, not as ${user}: the debugger starts it, and captrace.user applies ` +
    "to Run with Capability Trace only.";
}
