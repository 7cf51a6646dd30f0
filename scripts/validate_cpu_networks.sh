#!/usr/bin/env bash
# Starts a loopback convlat-server seeded with this repository's CPU measurements and runs
# scripts/validate_cpu_networks.py against it (needs a build and Debian's python3-torchvision);
# network names as arguments run only those.
# Run it at a high priority on a shared machine: nice -n -15 (in a session of its own whose
# autogroup is at -15 too, where the kernel groups sessions), as the measurements were made.
set -euo pipefail
cd "$(dirname "$0")/.."
# The layers of the validation networks, timed evicted and hot in one session (both layouts), so
# that both timings of every layer were made under the same conditions (data/measurements/cpu-epyc-2core/README.md).
seed_csvs="data/measurements/cpu-epyc-2core/networks.csv data/measurements/cpu-epyc-2core/native-networks.csv"
source scripts/seeded-server.sh
/usr/bin/python3 scripts/validate_cpu_networks.py build/client/convlat-client build/profiler_agent/convlat-agent "$address" \
  cpu-epyc-2core "$@"
