#!/usr/bin/env bash
# Data-parallel training throughput on the GPU machine (the `device` tool):
# tokens/s of `ssa-workbench train --nproc W --device cuda` (NCCL) for W = 1,
# 2, 4 (and 8) GPUs, as far as the machine has them, for two random-init
# models at 4,096 stream tokens per sequence under the SSA training mask (gists every 16 tokens):
#   smollm2-135m  SmolLM2-135M's shape (30 layers, 576 wide, vocab 49,152)
#   1b            Llama-3.2-1B's shape (16 layers, 2,048 wide, vocab 128,256)
# The global batch is the same at every W (batch_size 1 x grad_accum = the
# largest W measured, so each GPU gets grad_accum / W micro-batches of one
# sequence): the speed-up is time(1 GPU) / time(W GPUs) on the same work, and
# the losses of the first steps must agree across W (the same examples; only
# bf16 / reduction order differs). On a 1-GPU machine it runs W = 1 alone,
# through the NCCL path, which proves that path; the rest reads "not measured".
#
# Here (no GPU), prepare what the GPU machine lacks, commit, then:
#   bash scripts/gpu-ddp.sh --prepare        # .carry/: sqlite3.h, CLI11, Gloo headers
#   device run (kind nvidia-h200-x4 for 1/2/4 GPUs, or nvidia-h200 for the
#   1-GPU proof):  bash scripts/gpu-ddp.sh [STEPS]        # carry: [".carry"]
# It prints a Markdown table for docs/benchmarks.md and leaves logs in $OUT.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare" ]; then
  bash scripts/gpu-check.sh --prepare >/dev/null  # sqlite3.h, CLI11
  # Gloo's headers (libgloo-dev) let the CPU backend build there too.
  if [ -d /usr/include/gloo ]; then cp -r /usr/include/gloo .carry/include/; fi
  echo "prepared .carry/ ($(du -sh .carry | cut -f1)); pass carry=[\".carry\"] to the device run"
  exit 0
fi

steps=${1:-12}
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
exec > >(tee "$out/gpu-ddp.log") 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
gpus=$(nvidia-smi -L 2>/dev/null | wc -l)
[ "$gpus" -ge 1 ] || { echo "gpu-ddp: no GPU here"; exit 1; }

sqlite_lib=$(ls /usr/lib/x86_64-linux-gnu/libsqlite3.so* 2>/dev/null | head -1)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DSSA_GUI=OFF -DSSA_CUDA=OFF \
  -DSSA_BUILD_TESTS=OFF \
  -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
  -DPython3_EXECUTABLE="$(command -v python3)" -DCMAKE_CXX_FLAGS="-isystem $PWD/.carry/include" \
  -DSQLite3_INCLUDE_DIR="$PWD/.carry/include" -DCLI11_INCLUDE_DIR="$PWD/.carry/include" \
  -DSQLite3_LIBRARY="$sqlite_lib" >"$out/configure.log" 2>&1 || { tail -40 "$out/configure.log"; exit 1; }
grep "data-parallel" "$out/configure.log" || true
grep -q "NCCL .*nccl" "$out/configure.log" || echo "gpu-ddp: nccl.h not found: NCCL compiled out"
time cmake --build build-gpu -j "$(nproc)" --target ssa-workbench >"$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A3 "$out/build.log" | head -60; exit 1; }

worlds=()
for w in 1 2 4 8; do [ "$w" -le "$gpus" ] && worlds+=("$w"); done
accum=${worlds[-1]}

# config NAME MODEL_JSON: a throughput config at 4K tokens per sequence.
config() {
  cat >"/tmp/ddp-$1.json" <<JSON
{
  "model": $2,
  "ssa": {"hierarchy": "chunk16", "sink": 3, "previous_chunks": 1},
  "data": {"seq_len": 4096, "mix": {"passkey": 1, "multikey": 1}},
  "optim": {"lr": 3e-4, "warmup_ratio": 0.1},
  "train": {"steps": $steps, "batch_size": 1, "grad_accum": $accum, "eval_every": 0,
            "eval_batches": 1, "seed": 1, "device": "cuda", "log_every": 1}
}
JSON
}
config smollm2-135m '{"model_type": "llama", "vocab_size": 49152, "hidden_size": 576,
  "intermediate_size": 1536, "num_hidden_layers": 30, "num_attention_heads": 9,
  "num_key_value_heads": 3, "rope_theta": 100000.0, "max_position_embeddings": 8192,
  "tie_word_embeddings": true}'
config 1b '{"model_type": "llama", "vocab_size": 128256, "hidden_size": 2048,
  "intermediate_size": 8192, "num_hidden_layers": 16, "num_attention_heads": 32,
  "num_key_value_heads": 8, "rope_theta": 500000.0, "max_position_embeddings": 8192,
  "tie_word_embeddings": true}'

status=0
rows=()
for model in smollm2-135m 1b; do
  base=""
  for w in 1 2 4 8; do
    if [ "$w" -gt "$gpus" ]; then
      [ "$w" -le 4 ] && rows+=("| $model | $w | not measured ($gpus GPU here) | | |")
      continue
    fi
    dir=/tmp/ddp-$model-$w
    rm -rf "$dir"
    echo "== $model on $w GPU(s): $steps steps, global batch $accum x 4096 tokens"
    if ! build-gpu/app/ssa-workbench train --config "/tmp/ddp-$model.json" --nproc "$w" \
      --out "$dir" >"$out/$model-$w.log" 2>&1; then
      tail -5 "$out/$model-$w.log"
      rows+=("| $model | $w | failed (see $model-$w.log) | | |")
      status=1
      continue
    fi
    cp "$dir/train_log.jsonl" "$out/$model-$w.jsonl"
    read -r tps losses < <(python3 - "$dir/train_log.jsonl" <<'PY'
import json, statistics, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"tokens_per_second"' in l]
warm = steps[3:] or steps  # the first steps warm up allocators and NCCL
print(round(statistics.median(s["tokens_per_second"] for s in warm)),
      " ".join(f"{s['loss']:.4f}" for s in steps[:3]))
PY
)
    [ -z "$base" ] && base=$tps
    speedup=$(python3 -c "print(f'{$tps / $base:.2f}x')")
    rows+=("| $model | $w | $tps | $speedup | $losses |")
  done
done
echo
echo "| model (random init, 4,096 tokens/seq) | GPUs | tokens/s (median, steps 4-$steps) | vs 1 GPU | loss, steps 1-3 |"
echo "| --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
exit $status
