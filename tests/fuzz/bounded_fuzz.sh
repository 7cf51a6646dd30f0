#!/usr/bin/env bash
# ctest's FuzzOnnxImport and FuzzRequestValidation: scripts/fuzz.sh TARGET SECONDS, on top of the
# seeded mutation test (OnnxImportTest.SurvivesMutatedModels) that every build runs. The clang +
# AddressSanitizer build into build-fuzz/ takes minutes without ccache (see tests/CMakeLists.txt),
# so these run only when asked for with CONVLAT_FUZZ_TESTS=1. Otherwise, and where clang or
# libFuzzer is missing, they exit 125 (ctest: skipped) saying why; a crash found exits 77.
#   tests/fuzz/bounded_fuzz.sh onnx|requests SECONDS
set -euo pipefail
if [ "${CONVLAT_FUZZ_TESTS:-0}" != 1 ]; then
  echo "skipped: set CONVLAT_FUZZ_TESTS=1 to fuzz $1 for $2 s (a clang + ASan build into build-fuzz/: minutes" \
    "cold, seconds with a warm ccache)"
  exit 125
fi
exec "$(dirname "$0")/../../scripts/fuzz.sh" "$@"
