#!/usr/bin/env bash
# Starts a loopback convlat-server seeded with this repository's CPU measurements of one platform
# and runs scripts/validate_cpu_networks.py against it (needs a build and Debian's
# python3-torchvision); network names as arguments run only those.
#   scripts/validate_cpu_networks.sh [--platform NAME] [--calibrate] [NETWORK ...]
# NAME is a folder of data/measurements/ holding networks.csv and native-networks.csv, made on the
# machine this runs on: cpu-zen5-2core (default: the AVX-512 Zen 5 VM of 2026-12-02) or
# cpu-epyc-2core (the AVX2 VM of 2026-11-30). A platform profiled on another machine predicts that
# machine, not this one. --calibrate first runs `convlat-agent calibrate` in both layouts on three
# networks none of the validated ones is (tests/fixtures/onnx/ resnet34, mobilenet_v3_small,
# regnet_x_400mf): the share of their hot gain this machine's layers keep inside networks. It
# scrubs the caches as the platform's measurements were timed (`scrubber_bytes`, seeded-server.sh),
# so that "evicted" means the same in both.
# Run it at a high priority on a shared machine: nice -n -15 (in a session of its own whose
# autogroup is at -15 too, where the kernel groups sessions), as the measurements were made.
set -euo pipefail
cd "$(dirname "$0")/.."
platform=cpu-zen5-2core
if [ "${1:-}" = "--platform" ]; then
  platform="${2:?--platform needs a name}"
  shift 2
elif [[ "${1:-}" == --platform=* ]]; then
  platform="${1#--platform=}"
  shift
fi
calibrate=0
if [ "${1:-}" = "--calibrate" ]; then
  calibrate=1
  shift
fi
dir="data/measurements/$platform"
if [ ! -f "$dir/networks.csv" ] || [ ! -f "$dir/native-networks.csv" ]; then
  echo "validate_cpu_networks: --platform $platform: no $dir/networks.csv and native-networks.csv" \
    "(known: $(cd data/measurements && ls -d cpu-* | tr '\n' ' '))" >&2
  exit 2
fi
# The layers of the validation networks, timed evicted and hot in one session (both layouts), so
# that both timings of every layer were made under the same conditions ($dir/README.md).
seed_csvs="$dir/networks.csv $dir/native-networks.csv"
source scripts/seeded-server.sh
if [ "$calibrate" = 1 ]; then
  for layout in native nchw; do
    build/profiler_agent/convlat-agent calibrate --server "$address" --platform "$platform" --spool "$work/spool" \
      --layout "$layout" --last_level_cache_bytes "$last_level_cache_bytes" --scrubber_bytes "$scrubber_bytes" \
      tests/fixtures/onnx/resnet34.onnx tests/fixtures/onnx/mobilenet_v3_small.onnx tests/fixtures/onnx/regnet_x_400mf.onnx
  done
  # The server refits with the calibration: wait until the served model has both layouts' factors.
  for _ in $(seq 300); do
    build/client/convlat-client --server "$address" model --platform "$platform" --format json 2>/dev/null |
      grep -q '"cache.hot_gain_kept.nchw"' && break
    sleep 0.2
  done
fi
/usr/bin/python3 scripts/validate_cpu_networks.py build/client/convlat-client build/profiler_agent/convlat-agent "$address" \
  "$platform" "$@"
