#!/usr/bin/env bash
# Regenerates the screenshots in this folder from the shipped demo recording
# with `ssa-workbench screenshot` (offscreen; starts a private Xvfb when
# there is no display). Usage: docs/screenshots/make.sh [path/to/ssa-workbench]
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-${SSA_BUILD_DIR:-build}/app/ssa-workbench}
R=assets/demo/demo.ssarec
D=docs/screenshots
# The first screen: the demos of assets/demo (a demo whose file is missing
# is shown disabled with its reason).
"$W" screenshot --view demos --out $D/demos.png
"$W" screenshot --view demos --size 1280x720 --out $D/demos-1280x720.png
# The real-model demo: SmolLM2-135M trained with gists answers a 4K-token
# passkey; layer 7 is one of those that unfold the answer chunk at step 0.
"$W" screenshot assets/demo/smollm2-passkey.ssarec --view all --step 0 --layer 7 --out $D/workbench-smollm2.png
# Step 2 of the SSA run (run 1): layer 1 unfolds the two chunks holding the
# passkey (heads 0 and 1 choose them) while the model writes its second digit.
# Run 6 is the H-SSA run.
"$W" screenshot $R --view all --step 2 --layer 1 --out $D/workbench.png
"$W" screenshot $R --view all --step 2 --layer 1 --size 1280x720 --out $D/workbench-1280x720.png
"$W" screenshot $R --view all --run 6 --step 2 --out $D/workbench-hssa.png
"$W" screenshot $R --view mask --step 2 --layer 1 --size 1200x900 --out $D/mask.png
"$W" screenshot $R --view mask --step 2 --layer 1 --mask-zoom 26 --size 1200x800 --out $D/mask-zoom.png
"$W" screenshot $R --view strip --step 2 --layer 1 --size 1400x800 --out $D/token-strip.png
"$W" screenshot $R --view timeline --step 2 --layer 1 --size 1400x800 --out $D/score-timeline.png
"$W" screenshot $R --view hierarchy --run 6 --step 2 --size 1400x700 --out $D/hierarchy.png
"$W" screenshot $R --view training --step 2 --size 1400x800 --out $D/decode-costs.png
"$W" screenshot $R --view compare --step 2 --layer 1 --size 1400x800 --out $D/compare.png
# The Evaluation page and its chart, from a results folder of `ssa-workbench
# eval` when one is given (SSA_EVAL_DIR=out/eval docs/screenshots/make.sh).
if [ -n "${SSA_EVAL_DIR:-}" ]; then
  "$W" screenshot "$SSA_EVAL_DIR" --size 1600x1000 --out $D/evaluation.png
  "$W" chart "$SSA_EVAL_DIR" --out $D/chart.png
fi
