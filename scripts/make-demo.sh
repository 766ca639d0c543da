#!/usr/bin/env bash
# Regenerates assets/demo/demo.ssarec, the recording the GUI opens by default,
# from the shipped models: the same passkey prompt (within the models' training
# length of 1024 stream tokens) decoded with SSA (k = 4),
# with full attention, and with H-SSA, so that Compare has runs to align.
# Nothing in it is typed by hand. Usage: bash scripts/make-demo.sh [ssa-workbench]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/app/ssa-workbench}
out=assets/demo/demo.ssarec
task=(--task passkey --context 800 --steps 8 --seed 2)
mkdir -p assets/demo
rm -f "$out"
"$bin" record --model assets/models/ssa-small "${task[@]}" --k 4 --name "SSA chunk8, k=4" --out "$out"
"$bin" record --model assets/models/ssa-small "${task[@]}" --baseline full --name "full attention" --out "$out"
"$bin" record --model assets/models/hssa-small "${task[@]}" --k 4 --name "H-SSA chunk4-chunk4, k=4" --out "$out"
"$bin" info "$out" | head -3
