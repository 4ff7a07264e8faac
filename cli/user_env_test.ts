/** Tests of the variables left out of the environment of a command run as another user. */

import assert from "node:assert/strict";
import { unusableVariables } from "./user_env.ts";
import { permits } from "./user_path.ts";

const NOBODY = { uid: 65534, gid: 65534, groups: [] };

Deno.test("permits takes the bits of the user's class for every access asked", () => {
  const file = (uid: number, gid: number, mode: number) => ({ uid, gid, mode: 0o40000 | mode });
  const user = { uid: 1000, gid: 1000, groups: [27] };
  assert.equal(permits(file(1000, 0, 0o300), user, 0o3), true);
  assert.equal(permits(file(1000, 0, 0o100), user, 0o3), false, "search without write");
  assert.equal(permits(file(0, 27, 0o030), user, 0o3), true, "a supplementary group's bits");
  assert.equal(permits(file(0, 0, 0o1777), user, 0o3), true, "a sticky world-writable directory, as /tmp");
  assert.equal(permits(file(0, 0, 0o775), user, 0o2), false, "others' bits for others");
  assert.equal(permits(file(0, 0, 0o000), { uid: 0, gid: 0, groups: [] }, 0o7), true, "root");
});

Deno.test("unusableVariables leaves out a TMPDIR the user cannot write and an XDG_RUNTIME_DIR not theirs", async () => {
  const top = await Deno.makeTempDir();
  try {
    await Deno.chmod(top, 0o755);
    for (const d of ["private/tmp", "shared", "readonly", "mine"]) await Deno.mkdir(`${top}/${d}`, { recursive: true });
    await Deno.chmod(`${top}/private`, 0o700);
    await Deno.chmod(`${top}/private/tmp`, 0o1777);
    await Deno.chmod(`${top}/shared`, 0o1777);
    await Deno.chmod(`${top}/readonly`, 0o755);
    await Deno.chown(`${top}/mine`, NOBODY.uid, NOBODY.gid);
    const dropped = (env: Record<string, string>) => unusableVariables(env, NOBODY).then((d) => d.map((v) => v.name));
    assert.deepEqual(await dropped({ TMPDIR: `${top}/shared`, XDG_RUNTIME_DIR: `${top}/mine` }), []);
    assert.deepEqual(await dropped({ TMPDIR: `${top}/readonly` }), ["TMPDIR"]);
    assert.deepEqual(await dropped({ TMPDIR: `${top}/private/tmp` }), ["TMPDIR"], "open itself, behind a closed one");
    assert.deepEqual(await dropped({ XDG_RUNTIME_DIR: `${top}/shared` }), ["XDG_RUNTIME_DIR"]);
    // What names no directory is left as it is: it fails for root too. But another user's runtime directory by its
    // name, made or not, goes.
    assert.deepEqual(await dropped({ TMPDIR: `${top}/none`, XDG_RUNTIME_DIR: `${top}/none` }), []);
    assert.deepEqual(await dropped({ XDG_RUNTIME_DIR: "/run/user/987654" }), ["XDG_RUNTIME_DIR"]);
    assert.deepEqual(await dropped({ XDG_RUNTIME_DIR: "/run/user/65534/" }), [], "nobody's own");
    // Relative, from the working directory.
    const cwd = Deno.cwd();
    try {
      Deno.chdir(top);
      assert.deepEqual(await dropped({ TMPDIR: "readonly" }), ["TMPDIR"]);
      assert.deepEqual(await dropped({ TMPDIR: "shared" }), []);
    } finally {
      Deno.chdir(cwd);
    }
    const [v] = await unusableVariables({ TMPDIR: `${top}/readonly` }, NOBODY);
    assert.deepEqual(v, { name: "TMPDIR", value: `${top}/readonly`, why: "not writable by them" });
  } finally {
    await Deno.remove(top, { recursive: true });
  }
});
