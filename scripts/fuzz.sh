#!/usr/bin/env bash
# Fuzzes the readers of untrusted files with libFuzzer (Debian's clang 14 and
# libclang-rt-14-dev): a recording (.ssarec; as raw bytes, and as a valid one
# with cells rewritten), a model.safetensors, a model's config.json and a
# training config and a tokenizer.json, each target in fuzz/. Builds build-fuzz/
# with clang -fsanitize=fuzzer,address (asserts on), then runs every target
# (or those named) for SECONDS each, default 180, from seeds made of the
# shipped files. Not part of the test suite: every crash it finds becomes a
# regression test there (tests/sessions/fuzz_regressions_test.cpp,
# tests/model/train_config_test.cpp, ...).
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET ...]
#
# Crash inputs: build-fuzz/crashes/<target>/; corpora: build-fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-180}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(recording_reader_fuzz recording_cells_fuzz safetensors_fuzz model_config_fuzz train_config_fuzz tokenizer_fuzz)
build=${SSA_FUZZ_BUILD_DIR:-build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
  torch_prefix=$(.venv/bin/python -c 'import torch; print(torch.utils.cmake_prefix_path)')
  sanitize="-fsanitize=address,fuzzer-no-link -fno-omit-frame-pointer"
  CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSSA_FUZZ=ON -DSSA_BUILD_TESTS=OFF -DSSA_GUI=OFF -DSSA_CUDA=OFF \
    -DCMAKE_PREFIX_PATH="$torch_prefix" -DPython3_EXECUTABLE="$PWD/.venv/bin/python" \
    -DCMAKE_C_FLAGS="$sanitize" -DCMAKE_CXX_FLAGS="$sanitize" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

# Seeds: small real inputs of each kind.
seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds"/{recording_reader_fuzz,recording_cells_fuzz,safetensors_fuzz,model_config_fuzz,train_config_fuzz,tokenizer_fuzz}
if [ -x build/app/ssa-workbench ]; then  # a small recording, with 512-byte pages
  build/app/ssa-workbench mask --tokens 40 --chunk 4 --levels 2 --sink 2 --out "$seeds/mask" \
    --record "$seeds/small.ssarec" >/dev/null
  sqlite3 "$seeds/small.ssarec" 'PRAGMA page_size = 512; VACUUM;'
  cp "$seeds/small.ssarec" "$seeds/recording_reader_fuzz/"
fi
cp assets/demo/demo.ssarec "$seeds/recording_reader_fuzz/"
.venv/bin/python - "$seeds/safetensors_fuzz" <<'PY'
import sys, numpy as np
from safetensors.numpy import save_file
out = sys.argv[1]
save_file({"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.zeros(2, dtype=np.int64)},
          f"{out}/two.safetensors", metadata={"format": "pt"})
save_file({"w": np.ones((1, 4), dtype=np.float16)}, f"{out}/half.safetensors")
PY
for f in assets/models/*/config.json; do cp "$f" "$seeds/model_config_fuzz/$(basename "$(dirname "$f")").json"; done
cp assets/configs/*.json "$seeds/train_config_fuzz/"
# Small tokenizer.json files trained by `tokenizers` itself (GPT-2's and Qwen2's
# pre-tokenizers, NFC, added and special tokens), each followed by NUL and a text.
.venv/bin/python - "$seeds/tokenizer_fuzz" <<'PY'
import sys
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
out = sys.argv[1]
text = ["The pass key is 53148. Remember it.", "caf\u00e9 \u65e5\u672c 12345 \U0001F600 <gist>",
        "def f(x):\n    return x  # code", "Here we go. The grass is green."] * 8
qwen = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
for name, pre in [("gpt2", pre_tokenizers.ByteLevel(add_prefix_space=False)),
                  ("qwen2", pre_tokenizers.Sequence([
                      pre_tokenizers.Split(Regex(qwen), behavior="isolated"),
                      pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]))]:
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(text, trainers.BpeTrainer(
        vocab_size=320, special_tokens=["<|endoftext|>", "<gist>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    open(f"{out}/{name}.json", "wb").write(
        tok.to_str().encode() + b"\0" + "The pass key is 53148. caf\u00e9 <gist>!".encode())
PY

export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=1
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  dict=()
  [ -f "fuzz/$t.dict" ] && dict=(-dict="fuzz/$t.dict")
  echo "== $t: $seconds s"
  "$build/fuzz/$t" "${dict[@]}" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" \
    "$build/corpus/$t" "$seeds/$t" 2>&1 | grep -E "^#|ERROR|SUMMARY|stat::|Done|artifact|Test unit" \
    | tail -25 || true
  echo "crashes: $(ls "$build/crashes/$t" | wc -l) (in $build/crashes/$t)"
done
