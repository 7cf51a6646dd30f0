#!/usr/bin/env bash
# Installs dependencies, builds, and runs every test (unit, store, server, agent, end to end).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
