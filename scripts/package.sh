#!/bin/sh
# Builds the extension for production and packages it as a platform-specific
# .vsix in out/: `npm run package` (linux-x64) or `npm run package -- <target>`.
# What goes in is the allowlist in .vscodeignore; this script only swaps the
# onnxruntime-node binaries for targets other than linux-x64. Prints the path,
# the size and the file list.
set -eu
cd "$(dirname "$0")/.."
TARGET=${1:-${GLASSBOX_TARGET:-linux-x64}}

# onnxruntime-node 1.30 ships CPU binaries for these; no macOS Intel, no musl, no web.
case $TARGET in
linux-x64) bin= ;; # the lines already in .vscodeignore
linux-arm64) bin=linux/arm64 ;;
darwin-arm64) bin=darwin/arm64 ;;
win32-x64) bin=win32/x64 ;;
win32-arm64) bin=win32/arm64 ;;
*)
	echo "Unsupported target '$TARGET': onnxruntime-node has native binaries for linux-x64, linux-arm64, darwin-arm64, win32-x64 and win32-arm64." >&2
	exit 1
	;;
esac

# Dependencies only when missing; the build below goes to a staging folder.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	sh scripts/setup.sh
fi

# The embedded model is trained, not committed in every checkout: say so
# instead of shipping an extension that cannot load it.
for f in config.json tokenizer.json tokenizer_config.json onnx/model.onnx; do
	if [ ! -f "models/glassbox-mini/$f" ]; then
		echo "models/glassbox-mini/$f is missing: train or fetch the embedded model first (models/train/)." >&2
		exit 1
	fi
done

version=$(node -p 'require("./package.json").version')
name=$(node -p 'require("./package.json").name')
root=$(pwd)
vsix="$root/out/$name-$TARGET-$version.vsix"

# Package from a staging folder, so that the production build neither
# overwrites the development build in dist/ nor is overwritten by a watch build
# while vsce reads it. The entry points are linked in; esbuild resolves the
# links to the real sources, and node_modules is linked for vsce's `npm list`.
stage="$root/out/package"
rm -rf "$stage" "$vsix"
mkdir -p "$stage/media" "$stage/models"
ln -s "$root/client" "$stage/client"
ln -s "$root/server" "$stage/server"
ln -s "$root/media/src" "$stage/media/src"
(cd "$stage" && node "$root/esbuild.js" --production)
rm "$stage/client" "$stage/server" "$stage/media/src"
for f in package.json README.md CHANGELOG.md LICENSE; do
	[ ! -f "$f" ] || cp "$f" "$stage/"
done
find media -maxdepth 1 -type f -exec cp {} "$stage/media/" \;
cp models/registry.json "$stage/models/"
cp -R models/glassbox-mini "$stage/models/"
# The production dependencies, hard-linked where the file system allows (no
# copy of the bytes). vsce asks npm which packages to ship; npm reads a
# symlinked node_modules through its hidden lockfile, which goes stale as soon
# as a tool writes a cache into node_modules (knip's jiti does), and then calls
# every package extraneous.
npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | while read -r dir; do
	dest="$stage/${dir#"$root"/}"
	if [ ! -e "$dest" ]; then
		mkdir -p "$(dirname "$dest")"
		cp -al "$dir" "$dest" 2>/dev/null || cp -R "$dir" "$dest"
	fi
done

ignore="$stage/.vscodeignore"
if [ -z "$bin" ]; then
	cp .vscodeignore "$ignore"
else
	grep -v 'bin/napi-v6/' .vscodeignore >"$ignore"
	echo "!node_modules/onnxruntime-node/bin/napi-v6/$bin/*" >>"$ignore"
fi

# vsce rewrites README links against the repository only for GitHub and GitLab
# URLs; other hosts get the same layout explicitly.
repo=$(node -p 'const r = require("./package.json").repository; (typeof r === "string" ? r : r.url).replace(/\.git$/, "")')

# </dev/null: vsce asks questions on a terminal; in CI it must fail instead.
(cd "$stage" && "$root/node_modules/.bin/vsce" package \
	--target "$TARGET" \
	--ignoreFile "$ignore" \
	--baseContentUrl "$repo/blob/HEAD" \
	--baseImagesUrl "$repo/raw/HEAD" \
	--out "$vsix" </dev/null >"$root/out/vsce.log" 2>&1) || {
	cat out/vsce.log >&2
	exit 1
}

unzip -l "$vsix" | awk 'NR > 3 && $4 != "" && $1 ~ /^[0-9]+$/ { printf "  %10d  %s\n", $1, $4 }'
echo "Packaged out/$(basename "$vsix") ($(du -k "$vsix" | cut -f1) KB)"
