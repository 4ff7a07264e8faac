import assert from "node:assert/strict";
import { hasFileCaps } from "./file_caps.ts";

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
