#!/usr/bin/env bash
# Builds extension/captrace.vsix: npm ci when the lock file changed, esbuild bundle, vsce package (offline).
# `package.sh deps` only installs the npm dependencies (for type-checking).
set -euo pipefail
cd "$(dirname "$0")/../../extension"
# vsce 4 needs Node >= 22: use the cached Node 24 (installed on demand) when the system's is older.
if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 22 ]; then
  bash ../test/extension/install.sh node
fi
# shellcheck source=../test/extension/node24.sh
source ../test/extension/node24.sh
if [ -x "$NODE_DIR/bin/node" ]; then use_node24; fi
stamp="node_modules/.lock-$(sha256sum package-lock.json | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi
if [ "${1:-}" = deps ]; then exit 0; fi
node build.mjs
# The CLI goes in the package when `deno task compile` has made it (on a machine that can fetch Deno's runtime);
# without it, the extension finds captrace through captrace.path or PATH.
rm -rf bin
if [ -x ../dist/captrace ]; then mkdir -p bin && cp ../dist/captrace bin/captrace; fi
npx --no-install vsce package --allow-missing-repository --skip-license --out captrace.vsix </dev/null
