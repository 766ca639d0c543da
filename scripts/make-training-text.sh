#!/usr/bin/env bash
# Builds the real-text corpus that training and multidoc evaluation read on a
# machine without the Debian text packages (the GPU machine: no apt, no
# network), under the ignored folder .carry/text/ (about 10 MB):
#   .carry/text/fortunes/   the fortune files of packages fortunes and
#                           fortunes-min, text only (no .dat indexes, no links):
#                           a training config's data.fortunes_dir, and
#                           `eval --fortunes` (multidoc's distractor text)
#   .carry/text/kjv.txt     the King James Bible as `bible -l0` prints it
#                           (packages bible-kjv, bible-kjv-text): data.bible_text
# Passkey, kv and multidoc examples are generated from these and the
# generators' own English sentences (engine/data/tasks.cpp); nothing is downloaded.
# Usage: bash scripts/make-training-text.sh [DIR]   (DIR default .carry/text)
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-.carry/text}
fortunes=/usr/share/games/fortunes
[ -d "$fortunes" ] || { echo "make-training-text: $fortunes missing (apt-get install fortunes fortunes-min)"; exit 1; }
command -v bible >/dev/null || { echo "make-training-text: no bible program (apt-get install bible-kjv bible-kjv-text)"; exit 1; }
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp/fortunes"
for f in "$fortunes"/*; do
  # Text files only: the .dat indexes are binary, the .u8 links are copies.
  if [ -f "$f" ] && [ ! -L "$f" ] && [ "${f%.dat}" = "$f" ]; then cp "$f" "$dir.tmp/fortunes/"; fi
done
bible -l0 gen1:1-rev22:21 >"$dir.tmp/kjv.txt"
# The whole Bible: 1,189 chapters (the reader checks it is complete).
chapters=$(grep -c '^[A-Z1-3][A-Za-z ]* [0-9]*$' "$dir.tmp/kjv.txt" || true)
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "make-training-text: $dir: $(ls "$dir/fortunes" | wc -l) fortune files, kjv.txt ($chapters chapter lines), $(du -sh "$dir" | cut -f1)"
