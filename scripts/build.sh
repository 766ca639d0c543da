#!/usr/bin/env bash
# Configures (once) and builds the workbench into build/ with ninja and ccache.
# Extra arguments are passed to the first cmake configure.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${SSA_BUILD_DIR:-build}
torch_prefix=$(.venv/bin/python -c 'import torch; print(torch.utils.cmake_prefix_path)')
# ccache's default directory outlives clones, so a fresh clone on the same
# machine (CI) compiles from cache; the sloppiness lets it cache PCH users.
export CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_BASEDIR=$PWD  # paths relative to the clone: clones share cache hits
if [ ! -f "$build_dir/build.ninja" ]; then
  cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix" -DPython3_EXECUTABLE="$PWD/.venv/bin/python" "$@"
fi
cmake --build "$build_dir" -j "$(nproc)"
