#!/bin/sh
# Installs code-server 4.100.3 (VS Code 1.100.3 as a web app) into
# .tools/code-server with only the npm registry reachable. Used by `npm start`
# when desktop VS Code is absent and by the end-to-end tests. Idempotent: a
# finished install is left alone, a half-finished one is redone.
#
# npm 11 runs a dependency's install scripts only when the installing
# project's package.json approves it in `allowScripts`. code-server's own
# postinstall runs a second `npm install` inside lib/vscode, a project of its
# own whose package.json approves nothing, so its native modules would be
# skipped. Hence three steps: install without scripts, write the approvals into
# lib/vscode/package.json, then `npm rebuild` runs the approved scripts only.
set -eu
cd "$(dirname "$0")/.."
VERSION=4.100.3
DEST=${CODE_SERVER_DIR:-.tools/code-server}
BIN="$DEST/node_modules/.bin/code-server"
DONE="$DEST/.installed-$VERSION"

if [ -f "$DONE" ] && [ -x "$BIN" ]; then
	exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" != 20 ]; then
	echo "code-server $VERSION needs Node 20 (this is Node $node_major)." >&2
	exit 1
fi

# @vscode/ripgrep's postinstall downloads ripgrep from GitHub unless it finds
# a cached archive. On Linux x64 (CI, and machines without internet) hand it
# the system's rg; elsewhere it downloads its own.
if [ "$(uname -sm)" = "Linux x86_64" ]; then
	if ! command -v rg >/dev/null 2>&1; then
		echo "code-server needs ripgrep (Debian: apt-get install -y ripgrep libkrb5-dev; or run scripts/setup-system.sh)." >&2
		exit 1
	fi
	cache="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-1.15.11"
	mkdir -p "$cache/x"
	cp "$(command -v rg)" "$cache/x/rg"
	tar czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$cache/x" rg
fi

case $DEST in
*/code-server) ;;
*)
	echo "CODE_SERVER_DIR must end in /code-server (it is deleted and recreated): $DEST" >&2
	exit 1
	;;
esac

echo "Installing code-server $VERSION into $DEST (a few minutes: native modules are compiled)…"
rm -rf "$DEST"
mkdir -p "$DEST"
# The approvals, reviewed for 4.100.3: code-server's postinstall (installs
# lib/vscode) and argon2 (native; code-server loads it at startup).
cat >"$DEST/package.json" <<EOF
{
	"name": "glassbox-code-server",
	"private": true,
	"description": "code-server for Glassbox's end-to-end tests and npm start; written by scripts/setup-code-server.sh",
	"dependencies": { "code-server": "$VERSION" },
	"allowScripts": { "code-server": true, "argon2": true }
}
EOF

log="$(cd "$DEST" && pwd)/install.log"
fail() {
	echo "code-server install failed ($1); see $log" >&2
	tail -20 "$log" >&2
	exit 1
}

(cd "$DEST" && npm install --ignore-scripts --no-audit --no-fund) >"$log" 2>&1 || fail "npm install"

# lib/vscode's native modules that VS Code's server uses on Linux and macOS.
# Denied: @parcel/watcher (its script only builds from source on request; the
# prebuilt binary is an optional dependency), @vscode/deviceid and the
# windows-* modules (native code for Windows only). lib/vscode/extensions
# installs without its devDependencies, whose scripts are denied for that reason.
approve() {
	node -e '
const fs = require("fs");
const [file, json] = process.argv.slice(1);
const pkg = JSON.parse(fs.readFileSync(file, "utf8"));
pkg.allowScripts = JSON.parse(json);
fs.writeFileSync(file, JSON.stringify(pkg, null, "\t") + "\n");
' "$DEST/node_modules/code-server/lib/vscode/$1" "$2" || fail "approving scripts in $1"
}
approve package.json '{
	"@vscode/spdlog": true, "@vscode/ripgrep": true, "kerberos": true, "native-watchdog": true, "node-pty": true,
	"@parcel/watcher": false, "@vscode/deviceid": false, "@vscode/windows-process-tree": false, "@vscode/windows-registry": false
}'
approve extensions/package.json '{ "@parcel/watcher": false, "esbuild": false }'

# unsafe_perm: code-server's postinstall refuses to run as root without it (npm
# 11 warns that it does not know the setting; the script reads the variable).
# yes: node-pty's postinstall runs `npx node-gyp`. strict-allow-scripts: a new
# unreviewed install script fails the install instead of being skipped.
(cd "$DEST" && npm_config_unsafe_perm=true npm_config_yes=true npm_config_strict_allow_scripts=true \
	npm rebuild --foreground-scripts) >>"$log" 2>&1 || fail "npm rebuild"

for f in \
	node_modules/argon2/lib/binding/napi-v3/argon2.node \
	node_modules/code-server/lib/vscode/node_modules/@vscode/spdlog/build/Release/spdlog.node \
	node_modules/code-server/lib/vscode/node_modules/node-pty/build/Release/pty.node \
	node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg; do
	[ -e "$DEST/$f" ] || fail "$f was not built"
done
touch "$DONE"
echo "code-server $VERSION installed: $BIN"
