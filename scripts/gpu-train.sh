#!/usr/bin/env bash
# Model work on the GPU machine (the `device` tool) in one go: build, HF parity
# and training tests on CUDA, then train the demo models for a fixed time.
#
# Here (no GPU), prepare what the GPU machine lacks, commit, then call the tool:
#   bash scripts/gpu-train.sh --prepare   # .carry/: sqlite3.h, CLI11, fortunes, KJV text
#   device run: bash scripts/gpu-train.sh [SSA_SECONDS] [HSSA_SECONDS]   # carry: [".carry"]
#   or:         bash scripts/gpu-train.sh --two-phase [CAUSAL_SECONDS] [SSA_SECONDS]
# There it builds ssa-train and the model tests against the machine's LibTorch
# (app and kernels off), runs the tests (CUDA parity cases included), times a
# 20-step probe of each config, sets train.steps so that the run takes about
# the given seconds, trains assets/configs/small-gpu.json (SSA) and
# small-gpu-hssa.json (H-SSA), and leaves per model config.json,
# model.safetensors and train_log.jsonl in $OUT/<name>/, plus gpu-train.log.
# --two-phase: the reference's recipe instead: small-gpu-causal.json (no gists),
# then small-gpu-continued.json (SSA) from that checkpoint, as ssa-small.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare" ]; then
  mkdir -p .carry/include .carry/fortunes
  cp /usr/include/sqlite3.h /usr/include/sqlite3ext.h .carry/include/
  cp -r /usr/include/CLI .carry/include/
  for f in /usr/share/games/fortunes/*; do
    if [ -f "$f" ] && [ ! -L "$f" ] && [ "${f%.dat}" = "$f" ]; then cp "$f" .carry/fortunes/; fi
  done
  command -v bible >/dev/null || { echo "gpu-train: install package bible-kjv first"; exit 1; }
  bible -l0 gen1:1-rev22:21 >.carry/kjv.txt
  git ls-files >.carry/tracked.txt
  echo "prepared .carry/ ($(du -sh .carry | cut -f1)); pass carry=[\".carry\"] to the device run"
  exit 0
fi

two_phase=0
if [ "${1:-}" = "--two-phase" ]; then
  two_phase=1
  shift
fi
ssa_seconds=${1:-150}
hssa_seconds=${2:-100}
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
exec > >(tee "$out/gpu-train.log") 2>&1

# Only committed files: others' work in progress travels with the tree.
find . -type f -not -path './.carry/*' -not -path './.git/*' -not -path './build-gpu/*' |
  sed 's|^\./||' | sort >/tmp/all-files
sort .carry/tracked.txt | comm -23 /tmp/all-files - | xargs -r rm -f

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
sqlite_lib=$(ls /usr/lib/x86_64-linux-gnu/libsqlite3.so* 2>/dev/null | head -1)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DSSA_BUILD_APP=OFF -DSSA_CUDA=OFF \
  -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)');$PWD/.carry" \
  -DPython3_EXECUTABLE="$(command -v python3)" \
  -DSQLite3_INCLUDE_DIR="$PWD/.carry/include" -DSQLite3_LIBRARY="$sqlite_lib" >/tmp/configure.log 2>&1 ||
  { tail -40 /tmp/configure.log; exit 1; }
time cmake --build build-gpu -j "$(nproc)" --target ssa-train model_tests train_tests 2>&1 | tail -3

status=0
build-gpu/tests/model/model_tests 2>&1 | grep -E "hf parity|OK|FAILED|SKIPPED|PASSED" || status=1
build-gpu/tests/model/train_tests 2>&1 | grep -E "tiny run|OK|FAILED|SKIPPED|PASSED" || status=1

# train NAME CONFIG SECONDS: probe 20 steps, size the run, train, collect.
train() {
  local name=$1 config=$2 seconds=$3 dir=/tmp/run-$1
  python3 - "$config" "$dir-probe.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["data"]["fortunes_dir"] = ".carry/fortunes"
c["data"]["bible_text"] = ".carry/kjv.txt"
if "init" in c:  # phase 2: the phase-1 run of this script
    c["init"] = "/tmp/run-causal/model"
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
  build-gpu/tools/ssa-train/ssa-train train --config "$dir-probe.json" --out "$dir-probe" \
    --stop-after 20 >/dev/null 2>&1
  python3 - "$dir-probe.json" "$dir.json" "$dir-probe/train_log.jsonl" "$seconds" <<'PY'
import json, sys, statistics
c = json.load(open(sys.argv[1]))
steps = [json.loads(l) for l in open(sys.argv[3]) if '"loss"' in l]
step_s = statistics.median(s["seconds"] for s in steps[5:])
# Evaluations (every eval_every steps) and the final save take about 15%.
c["train"]["steps"] = max(50, int(float(sys.argv[4]) * 0.85 / step_s))
c["train"]["eval_every"] = max(50, c["train"]["steps"] // 5)
print(f"probe: {step_s * 1000:.1f} ms/step -> {c['train']['steps']} steps")
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
  echo "== $name: config used"
  cat "$dir.json"
  time build-gpu/tools/ssa-train/ssa-train train --config "$dir.json" --out "$dir" || status=1
  mkdir -p "$out/$name"
  cp "$dir/model/config.json" "$dir/model/model.safetensors" "$dir/train_log.jsonl" "$out/$name/" ||
    status=1
}
if [ $two_phase = 1 ]; then
  train causal assets/configs/small-gpu-causal.json "$ssa_seconds"
  train ssa-small assets/configs/small-gpu-continued.json "$hssa_seconds"
  rm -rf "$out/causal/model.safetensors"  # fp32 and not shipped: keep $OUT small
else
  train ssa-small assets/configs/small-gpu.json "$ssa_seconds"
  train hssa-small assets/configs/small-gpu-hssa.json "$hssa_seconds"
fi
exit $status
