#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
cd "${SSA_BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" --timeout 600
