import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { findBinary } from "./binary_lookup.ts";

const exec = (...paths: string[]) => (p: string) => paths.includes(p);

Deno.test("binary lookup prefers the setting, then the bundled copy, then PATH", () => {
  const all = exec("/set/captrace", "/ext/bin/captrace", "/usr/bin/captrace");
  const base = {
    bundled: ["/ext/bin/captrace"],
    pathEnv: "/usr/bin",
    isExecutable: all,
  };
  assertEquals(findBinary({ ...base, setting: "/set/captrace" }), {
    path: "/set/captrace",
    source: "setting",
  });
  assertEquals(findBinary({ ...base, setting: " " }), {
    path: "/ext/bin/captrace",
    source: "bundled",
  });
  assertEquals(
    findBinary({
      ...base,
      setting: "",
      isExecutable: exec("/usr/bin/captrace"),
    }),
    { path: "/usr/bin/captrace", source: "path" },
  );
});

Deno.test("binary lookup reports a wrong setting instead of falling back", () => {
  const r = findBinary({
    setting: "/nope",
    bundled: [],
    pathEnv: "/usr/bin",
    isExecutable: exec("/usr/bin/captrace"),
  });
  assertEquals(r.path, null);
  assertEquals("searched" in r && r.searched, ["/nope"]);
});

Deno.test("binary lookup skips relative PATH entries and lists what it searched", () => {
  const r = findBinary({
    setting: "",
    bundled: ["/ext/bin/captrace"],
    pathEnv: ".:bin::/a/",
    isExecutable: exec(),
  });
  assertEquals("searched" in r && r.searched, [
    "/ext/bin/captrace",
    "/a/captrace",
  ]);
});
