#!/bin/sh
# Installs the npm dependencies when they are missing or older than the
# lock file, then builds. Shared by `npm start` and `npm test`, so each works
# on a fresh clone by itself.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "Installing npm dependencies…"
	npm ci --no-audit --no-fund
fi
node esbuild.js "$@"
