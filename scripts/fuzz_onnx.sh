#!/usr/bin/env bash
# Fuzzes the ONNX importer with libFuzzer and AddressSanitizer for a bounded time (default 60 s),
# seeded with the fixture networks. Needs clang (Debian's clang-14 ships libFuzzer). Builds into
# build-fuzz/; a crash leaves its input there as crash-* and exits non-zero.
#   scripts/fuzz_onnx.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCONVLAT_FUZZ=ON -DCONVLAT_WITH_CUDNN=OFF -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address" >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target onnx_import_fuzzer
mkdir -p build-fuzz/corpus
cp tests/fixtures/onnx/*.onnx tests/fixtures/onnx/regressions/*.onnx build-fuzz/corpus/
cd build-fuzz
tests/fuzz/onnx_import_fuzzer -max_total_time="$seconds" -max_len=200000 -rss_limit_mb=2048 -print_final_stats=1 corpus
