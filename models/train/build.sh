#!/usr/bin/env bash
# Rebuild models/glassbox-mini from scratch: fetch -> prepare -> tokenizer -> train ->
# export -> parity checks -> speed check -> eval -> model card.
#
#   models/train/build.sh                 # the committed model (CPU, Debian python3-torch)
#   models/train/build.sh --config large  # bigger model on a GPU machine with PyTorch 2.x
#   models/train/build.sh --config tiny   # smoke test (a few minutes)
#
# PYTHON selects the interpreter (default /usr/bin/python3 if it has torch, else python3).
set -euo pipefail
cd "$(dirname "$0")"
CONFIG=small
EXTRA=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --config) CONFIG="$2"; shift 2 ;;
    *) EXTRA+=("$1"); shift ;;
  esac
done
if [[ -z "${PYTHON:-}" ]]; then
  if /usr/bin/python3 -c 'import torch' 2>/dev/null; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
NICE="nice -n 5"
# glibc: keep freed memory instead of mmap/munmap-ing every large tensor. In these VMs page
# faults are expensive and fresh mmaps made CPU inference ~2x and training ~1.3x slower.
export MALLOC_MMAP_THRESHOLD_=${MALLOC_MMAP_THRESHOLD_:-17179869184}
export MALLOC_TRIM_THRESHOLD_=${MALLOC_TRIM_THRESHOLD_:-17179869184}
export MALLOC_TOP_PAD_=${MALLOC_TOP_PAD_:-268435456}
T0=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - T0 ))s)"; }

step fetch;      $PYTHON fetch.py
step prepare;    $PYTHON prepare.py
step tokenizer;  $PYTHON tokenizer_train.py
step train;      $NICE $PYTHON train.py --config "$CONFIG" ${EXTRA[@]+"${EXTRA[@]}"} 2>&1 | tee ".work/train_${CONFIG}.log"
step export;     $PYTHON export.py --ckpt ".work/${CONFIG}/ckpt.pt"
step fixtures;   $PYTHON make_fixtures.py
step parity;     node check_parity.cjs
step bench;      node bench_node.cjs "$CONFIG"
step eval;       $NICE $PYTHON evaluate.py --ckpt ".work/${CONFIG}/ckpt.pt" --out ".work/${CONFIG}/eval.json" 2>&1 | tee ".work/eval_${CONFIG}.log"
step card;       $PYTHON write_card.py --config "$CONFIG" --build-wall-s "$(( $(date +%s) - T0 ))"
step done
