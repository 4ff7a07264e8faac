// Bundles the extension and its integration suite with esbuild (type-checking is separate: deno check).
import * as esbuild from "esbuild";

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  external: ["vscode", "mocha"],
  logLevel: "warning",
};

await esbuild.build({
  ...common,
  entryPoints: ["src/extension.ts"],
  outfile: "dist/extension.js",
});
await esbuild.build({
  ...common,
  entryPoints: ["test/suite/index.ts", "test/suite/extension.test.ts", "test/suite/multi_root.test.ts"],
  outdir: "dist/test/suite",
});
