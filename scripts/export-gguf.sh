#!/bin/sh
# Writes the embedded model (models/glassbox-mini) as GGUF for llama.cpp's
# llama-server and Ollama: .tools/gguf/glassbox-mini.gguf (git-ignored).
# Uses llama.cpp's gguf-py from the tree scripts/setup-llama-server.sh caches
# and Debian's Python (/usr/bin/python3 with python3-numpy and python3-onnx),
# never pip. Runs the conversion only when its inputs changed: the ONNX
# model, the tokenizer and config, the converter, or the llama.cpp tag.
# Prints the GGUF's path on stdout.
set -eu
cd "$(dirname "$0")/.."
llama=$(sh scripts/setup-llama-server.sh)
model=models/glassbox-mini
out_dir=.tools/gguf
out=$out_dir/glassbox-mini.gguf
stamp=$out_dir/glassbox-mini.inputs.sha256

if ! /usr/bin/python3 -c 'import numpy, onnx' 2>/dev/null; then
	echo "export-gguf: /usr/bin/python3 needs numpy and onnx. On Debian/Ubuntu: sudo apt-get install -y python3-numpy python3-onnx" >&2
	exit 1
fi

inputs=$(
	sha256sum "$model/onnx/model.onnx" "$model/config.json" "$model/tokenizer.json" \
		"$model/tokenizer_config.json" scripts/export_gguf.py | cut -d' ' -f1
	cat "$llama/complete"
)
want=$(printf '%s\n' "$inputs" | sha256sum | cut -d' ' -f1)
if [ -f "$out" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$out_dir"
rm -f "$stamp"
/usr/bin/python3 scripts/export_gguf.py --model-dir "$model" --gguf-py "$llama/llama.cpp/gguf-py" \
	--out "$out.tmp" >&2
mv "$out.tmp" "$out"
echo "$want" >"$stamp"
echo "$out"
