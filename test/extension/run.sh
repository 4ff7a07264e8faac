#!/usr/bin/env bash
# The whole extension test: install (cached), unit tests, build and package the .vsix, then the end-to-end run in a
# real VS Code (code-server + Chromium) against the real CLI and kernel. Prints `N passed, N failed` last.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
CACHE="${CAPTRACE_E2E_CACHE:-/var/cache/captrace-e2e}"
export CAPTRACE_E2E_CACHE="$CACHE"

if [ "$(id -u)" != 0 ]; then
  echo "test/extension/run.sh: must run as root (bpftrace and apt-get)" >&2
  exit 1
fi
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing

bash test/extension/install.sh
# shellcheck source=node24.sh
source test/extension/node24.sh
use_node24
export DENO_TLS_CA_STORE=system

echo "== extension unit tests" >&2
deno test --allow-read --doc extension/src/

echo "== build and package" >&2
bash test/extension/package.sh

echo "== end-to-end in code-server" >&2
exec node test/extension/e2e.mjs
