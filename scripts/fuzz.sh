#!/usr/bin/env bash
# Fuzzes with libFuzzer and AddressSanitizer for a bounded time (default 60 s). Needs clang
# (Debian's clang-14 ships libFuzzer). Builds into build-fuzz/; a crash leaves its input there as
# crash-* and exits non-zero.
#   scripts/fuzz.sh onnx [SECONDS]       the ONNX importer, seeded with the fixture networks
#   scripts/fuzz.sh requests [SECONDS]   the server's request validation (batches, predictions, platforms)
# Exits 125, saying why, where clang++ or its libFuzzer runtime is missing (ctest's Fuzz* tests
# count that as skipped). Not 77, the usual "skipped": that is how libFuzzer reports a crash.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-onnx}"
seconds="${2:-60}"
case "$target" in
  onnx) fuzzer=onnx_import_fuzzer ;;
  requests) fuzzer=request_validation_fuzzer ;;
  *) echo "usage: scripts/fuzz.sh onnx|requests [SECONDS]" >&2; exit 2 ;;
esac
skip() { echo "fuzz.sh: cannot fuzz here: $*" >&2; exit 125; }
command -v clang++ >/dev/null || skip "clang++ is not installed (apt-get install clang)"
# A clang without the libFuzzer runtime (Debian 12: libclang-rt-14-dev) fails only at the link,
# minutes into the build: try a one-line fuzzer first.
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' >"$probe/probe.cc"
if ! clang++ -fsanitize=fuzzer,address "$probe/probe.cc" -o "$probe/probe" 2>"$probe/log"; then
  skip "clang++ cannot link a libFuzzer target with AddressSanitizer: $(head -c 300 "$probe/log")"
fi
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCONVLAT_FUZZ=ON -DCONVLAT_WITH_CUDNN=OFF -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "$fuzzer"
corpus="build-fuzz/corpus-$target"
mkdir -p "$corpus"
if [ "$target" = onnx ]; then cp tests/fixtures/onnx/*.onnx tests/fixtures/onnx/regressions/*.onnx "$corpus/"; fi
cd build-fuzz
"tests/fuzz/$fuzzer" -max_total_time="$seconds" -max_len=200000 -rss_limit_mb=2048 -print_final_stats=1 \
  "corpus-$target"
