#!/usr/bin/env bash
# Model work on the GPU machine (the `device` tool) in one go: build, HF parity
# and training tests on CUDA, then train the demo models for a fixed time.
#
# Here (no GPU), prepare what the GPU machine lacks, commit, then call the tool:
#   bash scripts/gpu-train.sh --prepare   # .carry/: sqlite3.h, CLI11, fortunes, KJV text
#   device run: bash scripts/gpu-train.sh [SSA_SECONDS] [HSSA_SECONDS]   # carry: [".carry"]
#   or:         bash scripts/gpu-train.sh [--no-tests] --two-phase [CAUSAL_SECONDS] [SSA_SECONDS]
#   or:         bash scripts/gpu-train.sh [--no-tests] --continue [SECONDS]
# There it builds ssa-workbench (headless) and the model tests against the machine's LibTorch
# (app and kernels off), runs the tests (CUDA parity cases included), times a
# 20-step probe of each config, sets train.steps so that the run takes about
# the given seconds, trains assets/configs/small-gpu.json (SSA) and
# small-gpu-hssa.json (H-SSA), and leaves per model config.json,
# model.safetensors and train_log.jsonl in $OUT/<name>/, plus gpu-train.log.
# --two-phase: the reference's recipe instead: small-gpu-causal.json (no gists),
# then small-gpu-continued.json (SSA) from that checkpoint, as ssa-small.
# --continue: phase 3 only, small-gpu-selective.json: the shipped ssa-small
# continued at 4,672 stream tokens with selective training, as ssa-small.
# --no-tests: build ssa-workbench only, run no tests (device time goes to training).
# --prepare also stores the committed version of every tracked file that is
# modified in this tree (.carry/committed/): the device builds HEAD exactly.
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
  # Committed versions of tracked files that others are editing in this tree:
  # the device builds exactly what is committed.
  rm -rf .carry/committed
  git diff --name-only HEAD | while read -r f; do
    if git cat-file -e "HEAD:$f" 2>/dev/null; then
      mkdir -p ".carry/committed/$(dirname "$f")"
      git show "HEAD:$f" >".carry/committed/$f"
    fi
  done
  echo "prepared .carry/ ($(du -sh .carry | cut -f1)); pass carry=[\".carry\"] to the device run"
  exit 0
fi

two_phase=0
run_tests=1
if [ "${1:-}" = "--no-tests" ]; then
  run_tests=0
  shift
fi
if [ "${1:-}" = "--two-phase" ]; then
  two_phase=1
  shift
elif [ "${1:-}" = "--continue" ]; then
  two_phase=2
  shift
fi
ssa_seconds=${1:-150}
hssa_seconds=${2:-100}
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
exec > >(tee "$out/gpu-train.log") 2>&1

# Only committed files: others' work in progress travels with the tree.
if [ -d .carry/committed ]; then cp -r .carry/committed/. .; fi
find . -type f -not -path './.carry/*' -not -path './.git/*' -not -path './build-gpu/*' |
  sed 's|^\./||' | sort >/tmp/all-files
sort .carry/tracked.txt | comm -23 /tmp/all-files - | xargs -r rm -f

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'
sqlite_lib=$(ls /usr/lib/x86_64-linux-gnu/libsqlite3.so* 2>/dev/null | head -1)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DSSA_GUI=OFF -DSSA_CUDA=OFF \
  -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)');$PWD/.carry" \
  -DPython3_EXECUTABLE="$(command -v python3)" \
  -DSQLite3_INCLUDE_DIR="$PWD/.carry/include" -DCLI11_INCLUDE_DIR="$PWD/.carry/include" -DSQLite3_LIBRARY="$sqlite_lib" >/tmp/configure.log 2>&1 ||
  { tail -40 /tmp/configure.log; exit 1; }
targets="ssa-workbench model_tests train_tests"
if [ $run_tests = 0 ]; then targets=ssa-workbench; fi
# shellcheck disable=SC2086
time cmake --build build-gpu -j "$(nproc)" --target $targets 2>&1 | tail -3

status=0
# CPU sweep: configs in .carry/sweep/*.json train on the machine's spare CPU
# cores (2 threads each) while the GPU trains; their evaluations go into the
# log and the runs into $OUT/sweep.tar.gz when the GPU training is done.
sweep_pids=()
if [ -d .carry/sweep ]; then
  mkdir -p /tmp/sweep
  for cfg in .carry/sweep/*.json; do
    name=$(basename "$cfg" .json)
    python3 - "$cfg" "/tmp/sweep/$name.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["data"]["fortunes_dir"] = ".carry/fortunes"
c["data"]["bible_text"] = ".carry/kjv.txt"
c["train"]["threads"] = 2
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
    build-gpu/app/ssa-workbench train --config "/tmp/sweep/$name.json" --device cpu \
      --out "/tmp/sweep/$name" >"/tmp/sweep/$name.log" 2>&1 &
    sweep_pids+=($!)
  done
fi
finish_sweep() {
  [ ${#sweep_pids[@]} = 0 ] && return 0
  for pid in "${sweep_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait "${sweep_pids[@]}" 2>/dev/null || true
  for d in /tmp/sweep/*/; do
    echo "== sweep $(basename "$d"): $(grep -c '"loss"' "$d/train_log.jsonl" 2>/dev/null) steps"
    grep eval_loss "$d/train_log.jsonl" 2>/dev/null || true
    rm -rf "$d/checkpoint" "$d/checkpoints"
  done
  tar czf "$out/sweep.tar.gz" -C /tmp sweep
}
trap finish_sweep EXIT
if [ $run_tests = 1 ]; then
  build-gpu/tests/model/model_tests 2>&1 | grep -E "hf parity|OK|FAILED|SKIPPED|PASSED" || status=1
  build-gpu/tests/model/train_tests 2>&1 | grep -E "tiny run|OK|FAILED|SKIPPED|PASSED" || status=1
fi

# train NAME CONFIG SECONDS: probe 20 steps, size the run, train, collect.
train() {
  local name=$1 config=$2 seconds=$3 dir=/tmp/run-$1
  python3 - "$config" "$dir-probe.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["data"]["fortunes_dir"] = ".carry/fortunes"
c["data"]["bible_text"] = ".carry/kjv.txt"
if c.get("init", "").startswith("out/"):  # phase 2: the phase-1 run of this script
    c["init"] = "/tmp/run-causal/model"
c.setdefault("eval", {})["decode_examples"] = 0  # the probe times training steps only
c["train"]["eval_batches"] = 1
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
  build-gpu/app/ssa-workbench train --config "$dir-probe.json" --out "$dir-probe" \
    --stop-after 20 >"$dir-probe.log" 2>&1 || { tail -30 "$dir-probe.log"; return 1; }
  python3 - "$dir-probe.json" "$dir.json" "$dir-probe/train_log.jsonl" "$seconds" "$config" <<'PY'
import json, sys, statistics
c = json.load(open(sys.argv[1]))
original = json.load(open(sys.argv[5]))
c["eval"] = original.get("eval", {})
c["train"]["eval_batches"] = original["train"].get("eval_batches", 4)
steps = [json.loads(l) for l in open(sys.argv[3]) if '"loss"' in l]
step_s = statistics.median(s["seconds"] for s in steps[5:])
# Evaluations (every third of the run) and the final save take about 15%.
c["train"]["steps"] = max(50, int(float(sys.argv[4]) * 0.85 / step_s))
c["train"]["eval_every"] = max(50, c["train"]["steps"] // 3)
print(f"probe: {step_s * 1000:.1f} ms/step -> {c['train']['steps']} steps")
json.dump(c, open(sys.argv[2], "w"), indent=2)
PY
  echo "== $name: config used"
  cat "$dir.json"
  time build-gpu/app/ssa-workbench train --config "$dir.json" --out "$dir" || status=1
  mkdir -p "$out/$name"
  cp "$dir/model/config.json" "$dir/model/model.safetensors" "$dir/train_log.jsonl" \
    "$dir/train_config.json" "$out/$name/" ||
    status=1
}
if [ $two_phase = 2 ]; then
  train ssa-small assets/configs/small-gpu-selective.json "$ssa_seconds"
elif [ $two_phase = 1 ]; then
  train causal assets/configs/small-gpu-causal.json "$ssa_seconds"
  train ssa-small assets/configs/small-gpu-continued.json "$hssa_seconds"
  rm -rf "$out/causal/model.safetensors"  # fp32 and not shipped: keep $OUT small
else
  train ssa-small assets/configs/small-gpu.json "$ssa_seconds"
  train hssa-small assets/configs/small-gpu-hssa.json "$hssa_seconds"
fi
exit $status
