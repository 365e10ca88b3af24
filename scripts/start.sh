#!/bin/sh
# `npm start`: try Glassbox on a sample workspace.
# - Desktop VS Code when a `code` command exists: the extension runs from the
#   sources in development mode (rebuild with `npm run watch`, reload the window).
# - Otherwise (or with GLASSBOX_START=code-server): code-server in the browser,
#   with the freshly packaged .vsix installed, on 127.0.0.1:${PORT:-8080}.
#   Ctrl+C stops it.
# The sample workspace is a copy of the e2e fixture in .tools/, so edits made
# while trying things out never change the tests' fixture.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
sample="$root/.tools/sample-workspace"
if [ ! -d "$sample" ]; then
	mkdir -p .tools
	cp -R test/e2e/fixtures/workspace "$sample"
fi

if [ "${GLASSBOX_START:-}" != code-server ] && command -v code >/dev/null 2>&1; then
	sh scripts/setup.sh
	echo "Opening VS Code with Glassbox in development mode on $sample"
	exec code --extensionDevelopmentPath="$root" "$sample"
fi

sh scripts/setup-code-server.sh
sh scripts/package.sh >/dev/null
version=$(node -p 'require("./package.json").version')
vsix="out/glassbox-linux-x64-$version.vsix"
data="$root/.tools/code-server-data"
mkdir -p "$data/extensions" "$data/user-data/User"
settings="$data/user-data/User/settings.json"
if [ ! -f "$settings" ]; then
	cat >"$settings" <<'EOF'
{
	"workbench.startupEditor": "none",
	"security.workspace.trust.enabled": false,
	"telemetry.telemetryLevel": "off",
	"update.mode": "none",
	"editor.inlineSuggest.enabled": true
}
EOF
fi

entry="$root/.tools/code-server/node_modules/code-server/out/node/entry.js"
dirs="--extensions-dir $data/extensions --user-data-dir $data/user-data --config $data/config.yaml"
# --force: the same version number is reinstalled with the new build.
# shellcheck disable=SC2086
node "$entry" $dirs --force --install-extension "$vsix" >/dev/null

port=${PORT:-8080}
url="http://127.0.0.1:$port/?folder=$sample"
echo "Glassbox in code-server: $url"
echo "(Ctrl+C stops it.)"
if command -v xdg-open >/dev/null 2>&1; then
	# Opens the browser once the server answers.
	(node -e '
		const url = `http://127.0.0.1:${process.argv[1]}/healthz`;
		const deadline = Date.now() + 60000;
		const poll = () => fetch(url).then(() => process.exit(0), () => Date.now() < deadline ? setTimeout(poll, 500) : process.exit(1));
		poll();
	' "$port" && xdg-open "$url" >/dev/null 2>&1) &
fi
# shellcheck disable=SC2086
exec node "$entry" $dirs --auth none --bind-addr "127.0.0.1:$port" \
	--disable-telemetry --disable-update-check --disable-workspace-trust "$sample"
