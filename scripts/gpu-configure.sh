# Sourced by the GPU scripts: gpu_configure configures build-gpu/ on the GPU
# machine (headless ssa-workbench, CUDA for sm_90a, the machine's LibTorch),
# with what scripts/gpu-check.sh --prepare carried in .carry/ for what the
# machine lacks (SQLite's and PCRE2's headers, ICU 72).
sqlite_lib=$(ls /usr/lib/x86_64-linux-gnu/libsqlite3.so* 2>/dev/null | head -1 || true)
# Unpacked into a temporary folder and moved: a cut-short extraction never
# passes for a whole one (the test is the library, not the folder).
if [ ! -f .carry/icu/usr/lib/x86_64-linux-gnu/libicuuc.so.72 ]; then
  rm -rf .carry/icu .carry/icu.part && mkdir -p .carry/icu.part &&
    tar -C .carry/icu.part -xJf .carry/icu.tar.xz && mv .carry/icu.part .carry/icu ||
    echo "gpu-configure: .carry/icu.tar.xz missing or damaged (bash scripts/gpu-check.sh --prepare here)"
fi
icu=$PWD/.carry/icu
gpu_configure() {
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DSSA_GUI=OFF -DSSA_CUDA=ON \
    -DCMAKE_PREFIX_PATH="$(python3 -c 'import torch;print(torch.utils.cmake_prefix_path)')" \
    -DPython3_EXECUTABLE="$(command -v python3)" \
    -DSQLite3_INCLUDE_DIR="$PWD/.carry/include" -DSQLite3_LIBRARY="$sqlite_lib" \
    -DPCRE2_INCLUDE_DIR="$PWD/.carry/include" -DPCRE2_LIBRARY="$PWD/.carry/lib/libpcre2-8.a" \
    -DICU_INCLUDE_DIR="$icu/usr/include" \
    -DICU_UC_LIBRARY_RELEASE="$icu/usr/lib/x86_64-linux-gnu/libicuuc.so.72" \
    -DICU_DATA_LIBRARY_RELEASE="$icu/usr/lib/x86_64-linux-gnu/libicudata.so.72"
}
# Debian's ICU 72 as shared libraries, found at run time here (the machine has ICU 74 only).
export LD_LIBRARY_PATH=$icu/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
