#!/bin/sh
# Builds llama.cpp's HTTP server (llama-server) for the tests that talk to a
# real inference server, from the llama.cpp source that the npm package
# node-llama-cpp carries as a git bundle (nothing else is downloaded). The
# binary and the source tree it came from (whose gguf-py the GGUF export
# uses) are cached outside the clone and never committed:
#
#   $GLASSBOX_CACHE (default ~/.cache/glassbox)/llama-server-<tag>/
#     llama.cpp/             the source at that tag (gguf-py lives here)
#     bin/llama-server       the binary
#     complete               written last; without it the build is redone
#
# A finished build is reused (a second run takes milliseconds); an
# interrupted one is started again from a clean tree. Concurrent runs wait
# for each other (flock). Needs git, cmake, make and g++ for the build and
# Debian's python3-numpy and python3-onnx for `npm run export:gguf`: run as
# root on Debian it installs what is missing with apt-get, otherwise it says
# what is missing. Prints the cache folder of the build on stdout.
set -eu

NODE_LLAMA_CPP_VERSION=3.21.1
cache=${GLASSBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/glassbox}
mkdir -p "$cache"
log() { echo "setup-llama-server: $*" >&2; }

# The tag comes from the package (llama/llama.cpp.info.json); it is
# remembered so that a finished build is found without unpacking anything.
tag_file=$cache/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tag
if [ -f "$tag_file" ]; then
	tag=$(cat "$tag_file")
	if [ -f "$cache/llama-server-$tag/complete" ] && [ -x "$cache/llama-server-$tag/bin/llama-server" ]; then
		echo "$cache/llama-server-$tag"
		exit 0
	fi
fi

install_missing() {
	missing=""
	command -v git >/dev/null 2>&1 || missing="$missing git"
	command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
	command -v make >/dev/null 2>&1 || missing="$missing make"
	command -v g++ >/dev/null 2>&1 || missing="$missing g++"
	/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 || missing="$missing python3-numpy"
	/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1 || missing="$missing python3-onnx"
	/usr/bin/python3 -c 'import yaml' >/dev/null 2>&1 || missing="$missing python3-yaml"
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "installing system packages:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		# shellcheck disable=SC2086
		apt-get install -y -qq $missing >/dev/null
	else
		log "missing system packages:$missing. On Debian/Ubuntu: sudo apt-get install -y$missing"
		exit 1
	fi
}

build() {
	install_missing
	work=$cache/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.work
	rm -rf "$work"
	mkdir -p "$work"
	log "fetching node-llama-cpp@$NODE_LLAMA_CPP_VERSION from the npm registry (35 MB; its llama.cpp bundle)"
	(cd "$work" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >/dev/null)
	tar -xzf "$work/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz" -C "$work" \
		package/llama/gitRelease.bundle package/llama/llama.cpp.info.json
	tag=$(node -p "require(process.argv[1]).tag" "$work/package/llama/llama.cpp.info.json")
	case $tag in
	'' | *[!A-Za-z0-9._-]*)
		log "unexpected llama.cpp tag '$tag' in node-llama-cpp's llama.cpp.info.json"
		exit 1
		;;
	esac
	dir=$cache/llama-server-$tag
	if [ -f "$dir/complete" ] && [ -x "$dir/bin/llama-server" ]; then
		echo "$tag" >"$tag_file"
		rm -rf "$work"
		return 0
	fi
	# Anything here without the marker is the remains of an interrupted run.
	rm -rf "$dir"
	mkdir -p "$dir/bin"
	# The bundle holds the release as one commit (its HEAD), without tags.
	git -c advice.detachedHead=false clone --quiet "$work/package/llama/gitRelease.bundle" "$dir/llama.cpp"
	rm -rf "$work"
	log "building llama-server $tag (about 5 minutes on 2 cores, once)"
	cmake -S "$dir/llama.cpp" -B "$dir/build" -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
		-DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=Release >"$dir/build.log" 2>&1 || {
		tail -n 30 "$dir/build.log" >&2
		exit 1
	}
	jobs=$(nproc 2>/dev/null || echo 2)
	cmake --build "$dir/build" --target llama-server -j "$jobs" >>"$dir/build.log" 2>&1 || {
		tail -n 30 "$dir/build.log" >&2
		exit 1
	}
	cp "$dir/build/bin/llama-server" "$dir/bin/llama-server"
	# The objects are 10x the binary and never reused: a rebuild starts clean.
	rm -rf "$dir/build"
	echo "$tag" >"$dir/complete"
	echo "$tag" >"$tag_file"
	log "built $dir/bin/llama-server"
}

# One build at a time, even with several test runs on one machine.
exec 9>"$cache/.llama-server.lock"
flock 9
# Another run may have finished the build while this one waited.
if [ -f "$tag_file" ]; then
	tag=$(cat "$tag_file")
	if [ -f "$cache/llama-server-$tag/complete" ] && [ -x "$cache/llama-server-$tag/bin/llama-server" ]; then
		echo "$cache/llama-server-$tag"
		exit 0
	fi
fi
build
echo "$cache/llama-server-$(cat "$tag_file")"
