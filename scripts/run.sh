#!/usr/bin/env bash
# The README's main command: installs what is missing, builds, and opens the
# workbench GUI on the shipped demo; with no display it prints a headless demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
exec "${SSA_BUILD_DIR:-build}/app/ssa-workbench" "$@"
