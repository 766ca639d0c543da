#!/usr/bin/env bash
# Installs what the workbench needs on a Debian 12 machine, idempotently:
# Debian packages (GUI, SQLite, tests, corpora) and LibTorch 2.11 from the
# torch==2.11.0 wheel in the project-local virtual environment .venv/.
# Fast when everything is already there: it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config python3-venv
  libimgui-dev libglfw3-dev libgl-dev libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libfmt-dev libstb-dev
  fortunes bible-kjv bible-kjv-text xvfb xauth fonts-dejavu-core
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python side: LibTorch comes from the torch wheel; numpy/transformers/safetensors
# are test-side oracles.
python_packages=(torch==2.11.0 numpy safetensors transformers)
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
ok = m.version("torch").startswith("2.11.0")
for name in ("numpy", "safetensors", "transformers"):
    m.version(name)
sys.exit(0 if ok else 1)
PY
then
  echo "setup: installing ${python_packages[*]} into .venv (first time: a few minutes)"
  .venv/bin/pip install -q "${python_packages[@]}"
fi
