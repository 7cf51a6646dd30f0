#!/usr/bin/env bash
# Checks the lock annotations with clang's thread-safety analysis: every member a mutex protects
# is ABSL_GUARDED_BY it (model registry, SQLite and PostgreSQL stores, CUPTI recorder), and an
# access without the lock held fails the build. g++ ignores the annotations, hence clang.
# Builds the libraries of common/, model/ (through their dependents), server/ and profiler_agent/
# (the cuDNN backend too when the CUDA toolkit is found) into build-clang/, without -g or
# optimization: only the analysis matters here. Debian's abseil and gRPC are built with g++;
# clang++ compiles against their headers as for scripts/fuzz.sh. ccache makes a rerun quick
# (export CCACHE_BASEDIR to the checkout's parent to share it between checkouts).
#   scripts/thread-safety.sh        JOBS=N to build with N jobs (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${JOBS:-$(nproc)}"
dir=build-clang
cmake -S . -B "$dir" -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG=-O0 -DCMAKE_CXX_FLAGS="-Wthread-safety -Werror=thread-safety" >/dev/null
targets=(convlat_common convlat_store convlat_server_lib convlat_agent_lib)
# The cuDNN/CUPTI backend exists where CMake found the CUDA toolkit.
if [[ "$(cmake --build "$dir" --target help)" == *convlat_cudnn_backend* ]]; then
  targets+=(convlat_cudnn_backend)
fi
log="$dir/thread-safety.log"
status=0
cmake --build "$dir" -j"$jobs" --target "${targets[@]}" 2>&1 | tee "$log" || status=$?
# -Werror makes every finding fail its compile; a warning ccache replays is caught here too.
if grep -q -- '-Wthread-safety' "$log"; then
  echo "thread-safety: clang found unguarded accesses (see $log)" >&2
  exit 1
fi
if [ "$status" -ne 0 ]; then
  echo "thread-safety: the build failed (see $log)" >&2
  exit "$status"
fi
echo "thread-safety: clean (${targets[*]})"
