#!/usr/bin/env bash
# Build + test + sanitize + benchmark on the GPU machine (the `device` tool), in one go.
#
# Here (no GPU), prepare what the GPU machine lacks, then call the tool:
#   bash scripts/gpu-check.sh --prepare        # sqlite3.h and CLI11's headers into .carry/
#   device run: bash scripts/gpu-check.sh --committed-only     # carry: [".carry"]
# There it builds with the machine's PyTorch LibTorch 2.11 + CUDA 13 for
# sm_90a (ssa-workbench without the GUI: no GLFW/ImGui there),
# then, each step logged under $OUT and the next step run whatever the last
# one gave, within a 9-minute budget (steps that no longer fit are skipped;
# GPU_CHECK_SKIP="bench-load ctest" skips steps by the names of its summary:
# build, kernel_tests, cli, bench-load, bench-kernels, bench-model, sanitizer,
# resources, ctest):
#   1 kernel_tests   the GPU decode path against the CPU reference
#   2 bench kernels  one Qwen2-7B layer: dense SDPA vs device SSA / H-SSA (v2),
#                    a short v1 row set, the grid, the sweeps
#   3 bench model    ms per token of a Qwen2-7B-shaped random model
#   - cli            record, info and generate on the shipped model with --device cuda
#   - bench-load     load_checkpoint of a Qwen2-7B-shaped random bf16 checkpoint in 4 shards
#   4 sanitizer      compute-sanitizer memcheck, racecheck, synccheck on a small case
#   5 resources      registers, spills, shared memory, tensor-core instructions
#   6 ctest          every other CTest test (CUDA cases of other rooms too)
# and prints a summary table last. At most 8 files come back from $OUT:
# gpu-check.log (everything), build.log, tests.log, sanitizer.log,
# bench-kernels.log, bench-model.log, ctest.log, resources.log.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

if [ "${1:-}" = "--prepare" ]; then
  # What the GPU machine (Ubuntu 24.04, its own ICU 74 runtime only) lacks:
  # SQLite's and PCRE2's headers, and ICU 72 (headers and static libraries,
  # compressed: the carry limit is 64 MiB) matching this machine's headers.
  lib=/usr/lib/x86_64-linux-gnu
  rm -rf .carry && mkdir -p .carry/include .carry/lib
  cp /usr/include/sqlite3.h /usr/include/sqlite3ext.h /usr/include/pcre2.h .carry/include/
  cp "$lib/libpcre2-8.a" .carry/lib/
  # ICU as shared libraries: Debian's libicuuc.a is not all position-independent
  # (putil.o), and it goes into libssa_engine_commands.so.
  (cd / && tar -cJf "$OLDPWD/.carry/icu.tar.xz" usr/include/unicode "${lib#/}"/libicuuc.so.72* \
    "${lib#/}"/libicudata.so.72*)
  git ls-files >.carry/tracked.txt # what --committed-only keeps
  echo "prepared .carry/ ($(du -sh .carry | cut -f1): sqlite3.h, PCRE2, ICU, tracked files); pass carry=[\".carry\"] to the device run"
  exit 0
fi
# --committed-only: drop files git did not track when --prepare ran (work in
# progress of others that travels with the working tree).
if [ "${1:-}" = "--committed-only" ]; then
  find . -type f -not -path './.carry/*' -not -path './build-gpu/*' | sed 's|^\./||' | sort >/tmp/all-files
  sort .carry/tracked.txt | comm -23 /tmp/all-files - | xargs -r rm -f
fi

# The fortunes the tasks take their filler text from (Debian's package here;
# scripts/make-training-text.sh copies them into .carry/text for that machine).
if [ ! -e /usr/share/games/fortunes ] && [ -d .carry/text/fortunes ]; then
  mkdir -p /usr/share/games && ln -s "$PWD/.carry/text/fortunes" /usr/share/games/fortunes
fi
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
exec > >(tee "$out/gpu-check.log") 2>&1
tee_pid=$!
budget=${GPU_CHECK_BUDGET:-540}  # seconds for everything (the tool allows 600)
SECONDS=0
summary=()

# run NAME LOG MAX_SECONDS COMMAND...: runs the step with what is left of the
# budget (at most MAX_SECONDS), logs it, records status and time.
run() {
  local name=$1 log=$2 max=$3
  shift 3
  local left=$((budget - SECONDS - 10))
  if [[ " ${GPU_CHECK_SKIP:-} " == *" $name "* ]]; then
    summary+=("$(printf '%-16s %-8s %6s  %s' "$name" SKIPPED - "GPU_CHECK_SKIP")")
    echo "== $name: skipped (GPU_CHECK_SKIP)"
    return
  fi
  if [ "$left" -lt 20 ]; then
    summary+=("$(printf '%-16s %-8s %6s  %s' "$name" SKIPPED - "no time left")")
    echo "== $name: skipped, ${SECONDS}s of ${budget}s used"
    return
  fi
  local limit=$((max < left ? max : left)) start=$SECONDS rc=0
  echo "== $name (at most ${limit}s): $*"
  # Through bash -c so that a step may be a function of this script (exported).
  timeout --kill-after=10 "$limit" bash -c '"$@"' step "$@" >>"$log" 2>&1 || rc=$?
  local status=ok
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    status=TIMEOUT
  elif [ "$rc" -ne 0 ]; then
    status="FAIL($rc)"
  fi
  summary+=("$(printf '%-16s %-8s %5ss  %s' "$name" "$status" $((SECONDS - start)) "$(basename "$log")")")
  echo "== $name: $status in $((SECONDS - start))s"
  tail -25 "$log"
}

nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.mem --format=csv,noheader || true
nvcc --version | tail -1
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'

# --- build ---------------------------------------------------------------
# shellcheck source=scripts/gpu-configure.sh
source scripts/gpu-configure.sh
build() {
  gpu_configure && cmake --build build-gpu -j "$(nproc)"
}
export -f build
export -f gpu_configure
export sqlite_lib icu
run build "$out/build.log" 330 build
if [ ! -x build-gpu/tests/kernels/kernel_tests ]; then
  grep -E "error|FAILED" -A3 "$out/build.log" | head -60
fi

bin=build-gpu/tests/kernels
app=build-gpu/app/ssa-workbench
export bin app out
# --- 1 the GPU decode path against the CPU reference ------------------------
# One process per suite: a crash (a sticky CUDA error) cannot hide the others.
gpu_tests() {
  local status=0
  for suite in BlockMaskExpandCuda DeviceSelection DeviceAttention DeviceDecoder \
    DeviceDecodeSession KernelSanitizer; do
    echo "--- $suite"
    local rc=0
    "$bin/kernel_tests" --gtest_color=no --gtest_filter="$suite.*" || rc=$?
    if [ "$rc" -ne 0 ]; then
      status=1
      echo "[  FAILED  ] suite $suite (exit $rc)"
    fi
  done
  return $status
}
export -f gpu_tests
run kernel_tests "$out/tests.log" 220 gpu_tests
# --- the headless binary's decode commands on the GPU (the GPU decode path) ----
cli() {
  local m=assets/models/ssa-small r=$out/record-cuda.ssarec
  rm -f "$r"
  "$app" record --model "$m" --task passkey --context 2048 --k 4 --steps 8 --device cuda --out "$r" &&
    "$app" info "$r" | head -20 &&
    "$app" generate --model "$m" --prompt "The pass key is 31415. Remember it. The grass is green." \
      --question " The pass key is" --max-tokens 8 --device cuda --stats
}
export -f cli
run cli "$out/cli.log" 40 cli
# --- loading a Qwen2-7B-shaped random bf16 checkpoint in 4 shards, made here ----
run bench-load "$out/bench-load.log" "${GPU_CHECK_LOAD_SECONDS:-150}" build-gpu/tests/model/bench_checkpoint_load --shape 7b --device cuda
# --- 2 one layer: dense vs SSA / H-SSA ---------------------------------------
bench_kernels() {
  # The headline rows first (they must survive a timeout), then the phase
  # tables of the B 1 rows, then version 1 for comparison, then the whole
  # grid with the split / overlap sweep and the H-SSA log-N table.
  echo "=== headline: 128K, k 16"
  "$app" bench kernels --contexts 131072 --batches 1,8,32 --ks 16 --modes head,group \
    --no-tables || return 1
  echo "=== phases: where a step's time goes (device timestamps), 8K and 128K, B 1, k 16"
  "$app" bench kernels --contexts 8192,131072 --batches 1 --ks 16 --modes head,group \
    --hierarchies chunk16,chunk4-chunk4 --no-tables --phases || return 1
  echo "=== version 1 (plain loops), for comparison"
  "$app" bench kernels --version 1 --contexts 131072 --batches 1,8 --ks 16 \
    --modes head --hierarchies chunk16,chunk4-chunk4 --no-tables || return 1
  echo "=== the whole grid"
  "$app" bench kernels
}
export -f bench_kernels
run bench-kernels "$out/bench-kernels.log" 180 bench_kernels
# --- 3 the whole model -------------------------------------------------------
run bench-model "$out/bench-model.log" 120 "$app" bench decode-model --modes head,group
# --- 4 compute-sanitizer on a small case (both kernel versions, every mode) --
sanitize() {
  local status=0
  for tool in memcheck racecheck synccheck; do
    echo "--- compute-sanitizer --tool $tool"
    compute-sanitizer --tool "$tool" --error-exitcode 9 --print-limit 20 \
      "$bin/kernel_tests" --gtest_filter='KernelSanitizer.*' --gtest_color=no || status=1
  done
  return $status
}
export -f sanitize
run sanitizer "$out/sanitizer.log" 120 sanitize
# --- 5 what the compiler made of the kernels --------------------------------
resources() {
  cuobjdump --dump-resource-usage build-gpu/kernels/libssa_kernels.a | grep -E "Function|REG" |
    sed 's/^ *//' | paste - - | sed -E 's/Function ([^:]*):.*REG:([0-9]+) STACK:([0-9]+) SHARED:([0-9]+) LOCAL:([0-9]+).*/regs \2 stack \3 shared \4 local \5  \1/'
  echo "tensor-core and transpose instructions per kernel object:"
  for o in build-gpu/kernels/CMakeFiles/ssa_kernels.dir/*.o; do
    printf '%-28s HMMA %5d  MOVM %4d  LDL/STL %4d\n' "$(basename "$o")" \
      "$(cuobjdump --dump-sass "$o" | grep -c HMMA)" "$(cuobjdump --dump-sass "$o" | grep -c MOVM)" \
      "$(cuobjdump --dump-sass "$o" | grep -cE '\b(LDL|STL)\b')"
  done
}
export -f resources
run resources "$out/resources.log" 60 resources

# --- 6 every other test --------------------------------------------------------
run ctest "$out/ctest.log" 200 bash -c "cd build-gpu && ctest --output-on-failure -j 8 --timeout 180 -E '^(DeviceSelection|DeviceAttention|DeviceDecodeSession|DeviceDecoder|KernelSanitizer)\.'"
# --- summary -------------------------------------------------------------------
echo
echo "================ gpu-check summary (${SECONDS}s) ================"
printf '%-16s %-8s %6s  %s\n' step status time log
printf '%s\n' "${summary[@]}"
echo "--- tests"
grep -E "^--- |^\[  (PASSED|FAILED)|tests passed|tests failed|^\[  SKIPPED \] [0-9]" "$out/tests.log" 2>/dev/null
grep -E "tests passed|tests failed" "$out/ctest.log" 2>/dev/null
grep -h "^\[  FAILED  \]" "$out/tests.log" 2>/dev/null | sort -u | head -12
echo "--- sanitizer"
grep -E "^--- compute|ERROR SUMMARY|RACECHECK SUMMARY|Error|error" "$out/sanitizer.log" 2>/dev/null | head -12
echo "--- bench kernels (128K, k 16: version 2, then version 1)"
grep -E "^copy bandwidth|^ *context" "$out/bench-kernels.log" 2>/dev/null | head -2
grep -E "^ *131072 .* 16 +(head|group) " "$out/bench-kernels.log" 2>/dev/null | head -16
echo "--- record / generate on cuda"
grep -E "generated|SSA|ms" "$out/cli.log" 2>/dev/null | head -6
echo "--- bench checkpoint load (7B, 4 shards)"
tail -8 "$out/bench-load.log" 2>/dev/null
echo "--- bench decode-model"
grep -E "^ *(context|[0-9]+ +[0-9]+ )" "$out/bench-model.log" 2>/dev/null | head -9
grep -iE "error|what\(\)|terminate" "$out/bench-kernels.log" "$out/bench-model.log" 2>/dev/null | head -5
failed=0
for line in "${summary[@]}"; do case "$line" in *FAIL*|*TIMEOUT*) failed=1 ;; esac; done
# Let tee write the last lines before the script ends.
exec >&- 2>&-
wait "$tee_pid" 2>/dev/null
exit $failed
