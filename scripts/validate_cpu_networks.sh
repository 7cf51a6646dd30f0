#!/usr/bin/env bash
# Starts a loopback convlat-server seeded with this repository's CPU measurements and runs
# scripts/validate_cpu_networks.py against it (needs a build and Debian's python3-torchvision).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/seeded-server.sh
/usr/bin/python3 scripts/validate_cpu_networks.py build/client/convlat-client build/profiler_agent/convlat-agent "$address" \
  cpu-epyc-2core
