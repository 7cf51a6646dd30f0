#!/usr/bin/env bash
# Bounded load test of a real convlat-server on loopback (the numbers of docs/performance.md):
# seeds a platform from this repository's CPU measurements, then runs the load generator against
# Predict (1 and 64 layers per call) and PredictNetwork (ResNet-50 from ONNX) for SECONDS each.
# Needs a build (scripts/build.sh).   scripts/load.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
work="$(mktemp -d)"
trap 'kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

build/server/convlat-server --listen 127.0.0.1:0 --metrics 127.0.0.1:0 --db "$work/load.db" \
  --port_file "$work/port" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
address="127.0.0.1:$(head -1 "$work/port")"
for csv in data/measurements/cpu-epyc-2core/*.csv; do
  build/profiler_agent/convlat-agent import --server "$address" --platform cpu-epyc-2core --spool "$work/spool" \
    --batch_size 1000 "$csv" >/dev/null 2>&1
done
for _ in $(seq 100); do
  build/client/convlat-client --server "$address" platforms --format csv | grep -q ",ready" && break
  sleep 0.2
done

echo "| call | client threads | calls | errors | calls/s | layers/s | p50 µs | p99 µs | max µs |"
echo "|---|---|---|---|---|---|---|---|---|"
run() { build/tests/bench/load_generator --server "$address" --platform cpu-epyc-2core --seconds "$seconds" "$@"; }
run --method predict --layers 1 --threads 2
run --method predict --layers 1 --threads 8
run --method predict --layers 64 --threads 2
run --method predict --layers 64 --threads 8
run --method network --onnx tests/fixtures/onnx/resnet50.onnx --batch 1 --threads 2
run --method network --onnx tests/fixtures/onnx/mobilenet_v2.onnx --batch 1 --threads 8
