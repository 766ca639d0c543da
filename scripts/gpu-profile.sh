#!/usr/bin/env bash
# Where a decode layer's time goes, on the GPU machine: builds ssa-workbench and
# the GPU tests only, runs the device session's test, then profiles one
# bench-kernels shape with Nsight Systems and prints the per-kernel summary.
#   device run: bash scripts/gpu-profile.sh [bench kernels flags]   # carry: [".carry"]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=${OUT:-$PWD/gpu-out}
mkdir -p "$out"
# shellcheck source=scripts/gpu-configure.sh
source scripts/gpu-configure.sh
SECONDS=0
{ gpu_configure && cmake --build build-gpu -j "$(nproc)" --target ssa-workbench kernel_tests; } \
  >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
echo "built in ${SECONDS}s"
build-gpu/tests/kernels/kernel_tests --gtest_filter='DeviceDecodeSession.*' --gtest_color=no 2>&1 |
  grep -E "Failure|Expected|actual|what|OK|FAILED|PASSED" | head -30
flags=("$@")
[ ${#flags[@]} -eq 0 ] && flags=(--contexts 131072 --batches 1 --ks 16 --modes head,group --hierarchies chunk16 --no-tables)
nsys=$(command -v nsys || ls /usr/local/cuda/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1)
if [ -z "$nsys" ]; then
  echo "no nsys on this machine"
  build-gpu/app/ssa-workbench bench kernels "${flags[@]}"
  exit 0
fi
"$nsys" profile -o "$out/profile" --force-overwrite true -t cuda \
  build-gpu/app/ssa-workbench bench kernels "${flags[@]}" 2>&1 | tail -8
"$nsys" stats -q -r cuda_gpu_kern_sum --format csv "$out/profile.nsys-rep" 2>/dev/null |
  python3 -c 'import csv,sys
rows=list(csv.DictReader(sys.stdin))
for r in rows[:25]:
    print("%6s%%  n %7s  med %9s ns  %s" % (r["Time (%)"], r["Instances"], r["Med (ns)"], r["Name"][:110]))'
rm -f "$out/profile.sqlite"
