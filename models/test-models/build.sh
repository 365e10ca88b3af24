#!/bin/sh
# Rebuilds the committed test models in this folder (tiny-qwen2, its merged
# layout and its broken variants) with build_tiny_qwen2.py. Only needed when
# that script changes: `npm test` and `npm start` use the committed files.
#
# The Python packages are pinned here and installed with `pip install
# --target` into a folder outside the repository (GLASSBOX_PYDEPS), so the
# build never touches the system's Python. On a machine whose pip reaches a
# local mirror only, set PIP_INDEX_URL to it.
set -eu
cd "$(dirname "$0")"

PACKAGES="torch==2.13.0+cpu transformers==5.17.0 tokenizers==0.23.2 onnx==1.23.1 onnxruntime==1.30.0 numpy==2.2.6 onnxscript==0.7.2"
DEPS=${GLASSBOX_PYDEPS:-$HOME/.cache/glassbox/test-model-pydeps}
PYTHON=${PYTHON:-python3}

if [ "$(cat "$DEPS/.glassbox-packages" 2>/dev/null)" != "$PACKAGES" ]; then
	rm -rf "$DEPS"
	# shellcheck disable=SC2086 # one word per package
	"$PYTHON" -m pip install --disable-pip-version-check --target "$DEPS" $PACKAGES
	echo "$PACKAGES" >"$DEPS/.glassbox-packages"
fi

PYTHONPATH="$DEPS" "$PYTHON" build_tiny_qwen2.py "$@"
