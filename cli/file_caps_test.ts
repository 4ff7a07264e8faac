import assert from "node:assert/strict";
import { effectivePermitted, fileCapsOf, hasFileCaps } from "./file_caps.ts";

Deno.test("hasFileCaps tells a file with file capabilities from one without, and says when it cannot tell", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/prog`;
    await Deno.copyFile("/bin/true", file);
    assert.equal(await hasFileCaps(file), false);
    const set = await new Deno.Command("setcap", { args: ["cap_net_raw+ep", file] }).output();
    assert.ok(set.success, new TextDecoder().decode(set.stderr));
    assert.equal(await hasFileCaps(file), true);
    assert.equal(await hasFileCaps(`${dir}/missing`), null);
    assert.equal(await hasFileCaps(file, `${dir}/no-getcap`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fileCapsOf names the capabilities a file raises at exec (+ep), none, or null when it cannot tell", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/a prog`;
    await Deno.copyFile("/bin/true", file);
    assert.deepEqual(await fileCapsOf(file), []);
    const setcap = async (caps: string) => {
      const set = await new Deno.Command("setcap", { args: [caps, file] }).output();
      assert.ok(set.success, new TextDecoder().decode(set.stderr));
    };
    await setcap("cap_chown,cap_net_admin+ep");
    assert.deepEqual(await fileCapsOf(file), ["CAP_CHOWN", "CAP_NET_ADMIN"]);
    // Permitted, or inheritable, but not effective: a +ep line would still change something.
    await setcap("cap_chown+p cap_kill+ip");
    assert.deepEqual(await fileCapsOf(file), []);
    assert.equal(await fileCapsOf(`${dir}/missing`), null);
    assert.equal(await fileCapsOf(file, `${dir}/no-getcap`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("effectivePermitted reads getcap's clauses as cap_to_text writes them, old and new", () => {
  assert.deepEqual(effectivePermitted("/usr/bin/ping cap_net_raw=ep"), ["CAP_NET_RAW"]);
  assert.deepEqual(effectivePermitted("/usr/bin/ping = cap_net_raw+ep"), ["CAP_NET_RAW"]);
  assert.deepEqual(effectivePermitted("/opt/my tool cap_kill=ip cap_chown,cap_net_admin+p"), []);
  // Every capability but one: `=ep` then a clause that takes it away.
  const all = effectivePermitted("/x =ep cap_setuid-e")!;
  assert.ok(all.includes("CAP_CHOWN") && !all.includes("CAP_SETUID"), all.join());
  assert.deepEqual(effectivePermitted(""), []);
  assert.equal(effectivePermitted("/x cap_nonsense=ep"), null);
  assert.equal(effectivePermitted("/x"), null);
});

Deno.test("effectivePermitted cannot tell a file whose clauses name a capability it does not know", () => {
  assert.equal(effectivePermitted("/x cap_new+e cap_chown+ep"), null);
});
