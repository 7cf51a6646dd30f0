#!/usr/bin/env bash
# Configures and builds convlat into build/ (ccache speeds up rebuilds).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
