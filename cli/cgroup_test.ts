/** Tests of finding --cgroup's cgroup: cgroup v2 mounts in mountinfo, and where a given path leads. */

import assert from "node:assert/strict";
import { cgroup2Mounts, cgroupLocation } from "./cgroup.ts";

/** A hybrid layout (Debian 12's systemd): v1 controllers, and cgroup v2 at .../unified. */
const HYBRID = [
  "25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw",
  "30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755",
  "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate",
  "32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,name=systemd",
  "35 30 0:31 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory",
  "",
].join("\n");

Deno.test("cgroup2Mounts finds cgroup v2 mounts of the whole hierarchy, not v1 ones", () => {
  assert.deepEqual(cgroup2Mounts(HYBRID), ["/sys/fs/cgroup/unified"]);
  // No optional fields, a mount point with a space (written \040), a bind mount of a subtree (left out).
  const more = [
    "40 25 0:27 / /mnt/cg\\040two rw - cgroup2 none rw",
    "41 25 0:27 /system.slice /mnt/part rw shared:3 - cgroup2 none rw",
    "42 25 0:40 / /mnt/not rw - tmpfs cgroup2 rw",
  ].join("\n");
  assert.deepEqual(cgroup2Mounts(HYBRID + more), ["/sys/fs/cgroup/unified", "/mnt/cg two"]);
  assert.deepEqual(cgroup2Mounts(HYBRID.split("\n").filter((l) => !l.includes("cgroup2")).join("\n")), []);
  assert.deepEqual(cgroup2Mounts(""), []);
});

Deno.test("cgroupLocation takes a path from the hierarchy's root, or a directory in a cgroup2 mount", () => {
  const mounts = ["/sys/fs/cgroup", "/mnt/cg"];
  const at = (arg: string) => cgroupLocation(arg, mounts);
  // As /proc/PID/cgroup's 0:: line gives it, with or without the leading slash, or the line pasted whole.
  for (
    const arg of [
      "/system.slice/a.service",
      "system.slice/a.service",
      "system.slice//a.service/",
      "0::/system.slice/a.service",
    ]
  ) {
    assert.deepEqual(at(arg), { path: "/system.slice/a.service", dir: "/sys/fs/cgroup/system.slice/a.service" }, arg);
  }
  // A directory in either mount, the mount itself being the root.
  assert.deepEqual(at("/sys/fs/cgroup/system.slice"), { path: "/system.slice", dir: "/sys/fs/cgroup/system.slice" });
  assert.deepEqual(at("/mnt/cg/x/y"), { path: "/x/y", dir: "/mnt/cg/x/y" });
  assert.deepEqual(at("/sys/fs/cgroup"), { path: "/", dir: "/sys/fs/cgroup" });
  assert.deepEqual(at("//sys//fs/cgroup/x"), { path: "/x", dir: "/sys/fs/cgroup/x" });
  assert.deepEqual(at("/"), { path: "/", dir: "/sys/fs/cgroup" });
  // Only a whole path component names a mount: this is a cgroup "/sys/fs/cgroupx" of the hierarchy.
  assert.deepEqual(at("/sys/fs/cgroupx"), { path: "/sys/fs/cgroupx", dir: "/sys/fs/cgroup/sys/fs/cgroupx" });
  // Nothing that could lead out of the hierarchy.
  for (const arg of ["..", "a/../../etc", "/sys/fs/cgroup/..", "./a"]) assert.equal(at(arg), null, arg);
});
