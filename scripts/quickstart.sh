#!/usr/bin/env bash
# The main job on one machine, no GPU needed: install, build, then scripts/demo.sh: start the
# server (seeded with a public GPU platform, gpu-t4, from data/public), profile this CPU with the
# quick sweep (oneDNN), ask for predictions of real ResNet-50 layers and of a whole ResNet-18 from
# its ONNX file, and end with that network on this CPU and on the T4 side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec scripts/demo.sh
