#!/usr/bin/env bash
# Installs what captrace and its tests need on a fresh Debian machine, as root; re-running is cheap.
#   test/install_deps.sh            Deno (npm), bpftrace, gcc and binutils (apt)
#   test/install_deps.sh --all      also what the VS Code extension's end-to-end tests need
set -euo pipefail
cd "$(dirname "$0")/.."

DENO_VERSION=2.9.6
need_apt=()
command -v bpftrace >/dev/null || need_apt+=(bpftrace)
command -v gcc >/dev/null || need_apt+=(gcc libc6-dev)
command -v addr2line >/dev/null || need_apt+=(binutils)
command -v setpriv >/dev/null || need_apt+=(util-linux)
command -v getcap >/dev/null || need_apt+=(libcap2-bin)
command -v setfacl >/dev/null || need_apt+=(acl) # the tests' ACLs
command -v script >/dev/null || need_apt+=(bsdutils) # a terminal for the tests (Debian's is always there)
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "install_deps: apt-get install ${need_apt[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! deno --version 2>/dev/null | grep -q "^deno $DENO_VERSION "; then
  echo "install_deps: npm install -g deno@$DENO_VERSION" >&2
  npm install -g --no-fund --no-audit "deno@$DENO_VERSION" >/dev/null
fi

if [ "${1:-}" = "--all" ] && [ -x test/extension/install.sh ]; then
  test/extension/install.sh
fi
echo "install_deps: ready ($(deno --version | head -n1), $(bpftrace --version))" >&2
