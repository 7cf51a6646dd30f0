#!/usr/bin/env bash
# Bounded load test of a real convlat-server on loopback (the numbers of docs/performance.md):
# seeds a platform from this repository's CPU measurements, then runs the load generator against
# Predict (1 and 64 layers per call) and PredictNetwork (ResNet-50 from ONNX) for SECONDS each.
# Needs a build (scripts/build.sh).   scripts/load.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
source scripts/seeded-server.sh

echo "| call | client threads | calls | errors | calls/s | layers/s | p50 µs | p99 µs | max µs |"
echo "|---|---|---|---|---|---|---|---|---|"
run() { build/tests/bench/load_generator --server "$address" --platform "$platform" --seconds "$seconds" "$@"; }
run --method predict --layers 1 --threads 2
run --method predict --layers 1 --threads 8
run --method predict --layers 64 --threads 2
run --method predict --layers 64 --threads 8
run --method network --onnx tests/fixtures/onnx/resnet50.onnx --batch 1 --threads 2
run --method network --onnx tests/fixtures/onnx/mobilenet_v2.onnx --batch 1 --threads 8
