#!/usr/bin/env bash
# Installs convlat's build and test dependencies from Debian 12 packages. clang and clang-format
# check the lock annotations (scripts/thread-safety.sh) and the formatting (scripts/format.sh), and
# with libclang-rt (libFuzzer) fuzz in ctest (tests/fuzz/bounded_fuzz.sh);
# `prometheus` and `postgresql` are there for tests that start their own throwaway instances; on a
# machine with systemd their packages also start system services (`systemctl disable --now
# prometheus postgresql` if you do not want them). xz-utils packs the portable bundle (scripts/bundle.sh).
set -euo pipefail

packages=(
  build-essential cmake pkg-config ccache clang clang-format libclang-rt-14-dev
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libspdlog-dev prometheus-cpp-dev libsqlite3-dev libdnnl-dev ocl-icd-opencl-dev
  libgtest-dev libgmock-dev libbenchmark-dev libxgboost-dev libonnx-dev python3-yaml prometheus libpqxx-dev postgresql
  libexpat1-dev xz-utils python3-grpcio python3-grpc-tools python3-optuna python3-onnx
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
