# Sourced by the extension's scripts: where Node 24 lives, and how to put it first on PATH.
# shellcheck shell=bash
NODE_VERSION=24.22.3
NODE_DIR="${CAPTRACE_E2E_CACHE:-/var/cache/captrace-e2e}/node-$NODE_VERSION"

# Puts Node 24 and its npm first on PATH. That npm reads no configuration from the machine's npm prefix, so the
# certificate file the machine's npm is set to use (a proxy's, say) is passed on to it.
use_node24() {
  if [ -z "${npm_config_cafile:-}" ] && command -v npm >/dev/null; then
    local cafile
    cafile="$(npm config get cafile 2>/dev/null || true)"
    if [ -f "$cafile" ]; then export npm_config_cafile="$cafile"; fi
  fi
  export PATH="$NODE_DIR/bin:$PATH"
  export npm_config_nodedir="$NODE_DIR"
}
