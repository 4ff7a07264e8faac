/** Tests of the PATH given to a command run as another user: directories it cannot search are left out. */

import assert from "node:assert/strict";
import { searchable, userPath } from "./user_path.ts";

const NOBODY = { uid: 65534, gid: 65534, groups: [] };

Deno.test("searchable takes the x bit of the user's class: owner, then group (primary or not), then others", () => {
  const dir = (uid: number, gid: number, mode: number) => ({ uid, gid, mode: 0o40000 | mode });
  const user = { uid: 1000, gid: 1000, groups: [27] };
  assert.equal(searchable(dir(1000, 0, 0o100), user), true);
  assert.equal(searchable(dir(1000, 0, 0o011), user), false, "the owner's bits alone count for the owner");
  assert.equal(searchable(dir(0, 1000, 0o010), user), true);
  assert.equal(searchable(dir(0, 27, 0o010), user), true, "a supplementary group");
  assert.equal(searchable(dir(0, 27, 0o101), user), false, "the group's bits alone count for a member");
  assert.equal(searchable(dir(0, 0, 0o001), user), true);
  assert.equal(searchable(dir(0, 0, 0o770), user), false);
  assert.equal(searchable(dir(0, 0, 0o000), { uid: 0, gid: 0, groups: [] }), true, "root searches anything");
});

Deno.test("userPath leaves out entries under a directory the user cannot search, and keeps the rest in order", async () => {
  const top = await Deno.makeTempDir();
  try {
    await Deno.chmod(top, 0o755);
    for (const d of ["private/bin", "open/bin", "shut"]) await Deno.mkdir(`${top}/${d}`, { recursive: true });
    await Deno.chmod(`${top}/private`, 0o700);
    await Deno.chmod(`${top}/shut`, 0o750);
    await Deno.symlink(`${top}/private/bin`, `${top}/link`);
    // A link in the private directory to an open one: the private directory is on the way.
    await Deno.symlink(`${top}/open/bin`, `${top}/private/to-open`);
    const path = [
      `${top}/private/bin`,
      `${top}/open/bin`,
      `${top}/shut`,
      `${top}/link`, // a link into the private directory: its target is searched
      `${top}/private/to-open`, // a link to an open directory, from the private one
      `${top}/missing/bin`, // nothing there: no check, kept
      "relative",
      "",
      `${top}/private/bin`,
      "/usr/bin",
    ].join(":");
    const r = await userPath(path, NOBODY);
    assert.equal(r.path, [`${top}/open/bin`, `${top}/missing/bin`, "relative", "", "/usr/bin"].join(":"));
    assert.deepEqual(r.dropped, [`${top}/private/bin`, `${top}/shut`, `${top}/link`, `${top}/private/to-open`]);
    assert.deepEqual(await userPath(path, { uid: 0, gid: 0, groups: [] }), { path, dropped: [] });
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});
