/** Tests of reading mountinfo and finding the mount a path is on. */

import assert from "node:assert/strict";
import { mountOf, mounts } from "./mountinfo.ts";

const TEXT = [
  "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw",
  "25 22 0:21 / /tmp rw,nosuid,nodev shared:5 - tmpfs tmpfs rw",
  "26 22 0:22 / /mnt/a\\040b rw,noexec - tmpfs tmpfs rw",
  "27 22 254:1 /srv /srv-bind ro,relatime shared:1 - ext4 /dev/vda rw",
  "28 25 0:23 / /tmp/inner rw master:3 - tmpfs tmpfs rw",
  "29 22 0:24 / /tmp rw shared:6 - tmpfs tmpfs rw",
  "not a mount line",
  "",
].join("\n");

Deno.test("mounts reads each line's root, point, per-mount options and type, unescaped", () => {
  const all = mounts(TEXT);
  assert.equal(all.length, 6);
  assert.deepEqual(all[1], { root: "/", point: "/tmp", options: ["rw", "nosuid", "nodev"], type: "tmpfs" });
  assert.equal(all[2]!.point, "/mnt/a b");
  assert.deepEqual([all[3]!.root, all[3]!.options], ["/srv", ["ro", "relatime"]]);
  assert.deepEqual(mounts(""), []);
});

Deno.test("mountOf takes the longest mount point above the path, the last mounted when two share it", () => {
  const all = mounts(TEXT);
  const at = (p: string) => mountOf(p, all)?.options.join(",");
  assert.equal(at("/usr/bin/passwd"), "rw,relatime");
  assert.equal(at("/tmp/x"), "rw", "the second mount on /tmp hides the first, nosuid one");
  assert.equal(at("/tmp"), "rw");
  assert.equal(at("/tmp/inner/x"), "rw");
  assert.equal(at("/tmpfile"), "rw,relatime", "a mount point is a whole path component");
  assert.equal(at("/mnt/a b/x"), "rw,noexec");
  assert.equal(mountOf("/x", mounts(TEXT.split("\n").slice(1).join("\n")))?.point, undefined);
});
