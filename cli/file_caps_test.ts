import assert from "node:assert/strict";
import { fileCapsOf, hasFileCaps } from "./file_caps.ts";

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

Deno.test("fileCapsOf names the capabilities a file's file capabilities give, none, or null when it cannot tell", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/a prog`;
    await Deno.copyFile("/bin/true", file);
    assert.deepEqual(await fileCapsOf(file), []);
    const set = await new Deno.Command("setcap", { args: ["cap_chown,cap_net_admin+p cap_kill+ip", file] }).output();
    assert.ok(set.success, new TextDecoder().decode(set.stderr));
    assert.deepEqual((await fileCapsOf(file))?.sort(), ["CAP_CHOWN", "CAP_KILL", "CAP_NET_ADMIN"]);
    assert.equal(await fileCapsOf(`${dir}/missing`), null);
    assert.equal(await fileCapsOf(file, `${dir}/no-getcap`), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
