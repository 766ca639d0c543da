#!/usr/bin/env bash
# Build + test + benchmark on the GPU machine (the `device` tool), in one go.
#
# Here (no GPU), prepare what the GPU machine lacks, then call the tool:
#   bash scripts/gpu-check.sh --prepare        # copies sqlite3.h and CLI11 into .carry/
#   device run: bash scripts/gpu-check.sh [--committed-only]   # carry: [".carry"]
# There it builds with the machine's PyTorch LibTorch 2.11 + CUDA 13 for sm_90a
# (ssa-workbench without the GUI: no GLFW/ImGui there), runs every CTest test (GPU cases included)
# and the benchmarks, and leaves logs in $OUT (or ./gpu-out).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--prepare" ]; then
  mkdir -p .carry/include
  cp /usr/include/sqlite3.h /usr/include/sqlite3ext.h .carry/include/
  cp -r /usr/include/CLI .carry/include/
  git ls-files >.carry/tracked.txt  # what --committed-only keeps
  echo "prepared .carry/ (sqlite3.h, CLI11, tracked files); pass carry=[\".carry\"] to the device run"
  exit 0
fi
# --committed-only: drop files git did not track when --prepare ran (work in
# progress of others that travels with the working tree).
if [ "${1:-}" = "--committed-only" ]; then
  find . -type f -not -path './.carry/*' -not -path './build-gpu/*' | sed 's|^\./||' | sort >/tmp/all-files
  sort .carry/tracked.txt | comm -23 /tmp/all-files - | xargs -r rm -f
fi

out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
exec > >(tee "$out/gpu-check.log") 2>&1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
nvcc --version | tail -1
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'

sqlite_lib=$(ls /usr/lib/x86_64-linux-gnu/libsqlite3.so* 2>/dev/null | head -1)
cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DSSA_GUI=OFF -DSSA_CUDA=ON \
  -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
  -DPython3_EXECUTABLE="$(command -v python3)" \
  -DSQLite3_INCLUDE_DIR="$PWD/.carry/include" -DCLI11_INCLUDE_DIR="$PWD/.carry/include" -DSQLite3_LIBRARY="$sqlite_lib" >"$out/configure.log" 2>&1 ||
  { tail -40 "$out/configure.log"; exit 1; }
time cmake --build build-gpu -j "$(nproc)" >"$out/build.log" 2>&1 ||
  { grep -E "error|FAILED" -A3 "$out/build.log" | head -60; exit 1; }

status=0
(cd build-gpu && ctest --output-on-failure -j 4 --timeout 600 2>&1 | tee "$out/ctest.log" | tail -40) || status=1
grep -E "tests passed|tests failed" "$out/ctest.log" || true

# Benchmarks print their own figures.
for bench in build-gpu/tests/*/bench_*; do
  [ -x "$bench" ] || continue
  echo "== $bench"
  "$bench" --benchmark_min_time=0.2s 2>&1 | tee -a "$out/bench.log" | grep -vE "^\*\*\*WARNING" || status=1
done
exit $status
