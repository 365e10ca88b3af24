#!/bin/sh
# Every test layer, in the order a failure is cheapest to find: type check
# and lint, unit tests, the model's own tests (with its GGUF export against a
# real llama-server), the inference-server clients against that server, the
# language server over LSP with the real model, the inspector page in
# headless Chromium, and the packaged extension in a real VS Code
# (code-server). Prints each layer's wall time at the end. The llama-server
# set-up builds llama.cpp's server once (minutes) and caches it outside the
# clone; later runs reuse it.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
sh scripts/setup-system.sh

summary=""
layer() {
	name=$1
	shift
	echo
	echo "=== $name ==="
	start=$(date +%s)
	if "$@"; then
		result=ok
	else
		result=FAILED
	fi
	end=$(date +%s)
	summary="$summary
  $(printf '%-10s %-7s %4ss' "$name" "$result" $((end - start)))"
	if [ "$result" = FAILED ]; then
		echo
		echo "Test layers:$summary"
		exit 1
	fi
}

layer typecheck npm run --silent typecheck
layer lint npm run --silent lint
layer unit npm run --silent test:unit
layer llama-srv sh scripts/export-gguf.sh
layer model npm run --silent test:model
layer backends npm run --silent test:backends
layer server npm run --silent test:server
layer webview npm run --silent test:webview
layer e2e npm run --silent test:e2e

echo
echo "Test layers:$summary"
