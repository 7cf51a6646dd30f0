#!/usr/bin/env bash
# Fuzzes with libFuzzer and AddressSanitizer for a bounded time (default 60 s). Needs clang
# (Debian's clang-14 ships libFuzzer). Builds into build-fuzz/; a crash leaves its input there as
# crash-* and exits non-zero.
#   scripts/fuzz.sh onnx [SECONDS]       the ONNX importer, seeded with the fixture networks
#   scripts/fuzz.sh requests [SECONDS]   the server's request validation (batches, predictions, platforms)
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-onnx}"
seconds="${2:-60}"
case "$target" in
  onnx) fuzzer=onnx_import_fuzzer ;;
  requests) fuzzer=request_validation_fuzzer ;;
  *) echo "usage: scripts/fuzz.sh onnx|requests [SECONDS]" >&2; exit 2 ;;
esac
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCONVLAT_FUZZ=ON -DCONVLAT_WITH_CUDNN=OFF -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target "$fuzzer"
corpus="build-fuzz/corpus-$target"
mkdir -p "$corpus"
if [ "$target" = onnx ]; then cp tests/fixtures/onnx/*.onnx tests/fixtures/onnx/regressions/*.onnx "$corpus/"; fi
cd build-fuzz
"tests/fuzz/$fuzzer" -max_total_time="$seconds" -max_len=200000 -rss_limit_mb=2048 -print_final_stats=1 \
  "corpus-$target"
