#!/usr/bin/env bash
# Packs convlat for a Linux x86-64 host without Debian's libraries (a GPU host with only a driver,
# CUDA/cuDNN/CUPTI from Python wheels or a toolkit): dist/convlat-linux-x86_64.tar.xz holds the
# binaries, the GPU test binaries and every shared library they need but the C/C++ runtime
# (glibc, libstdc++, libgcc_s) and CUDA/cuDNN/CUPTI, which `launch` finds on the host.
# What the bundle holds and needs: docs/gpu-check.md.
#
#   scripts/bundle.sh [--gpu-only] [--build-dir DIR] [--no-build] [--out FILE] [--xz-level 0-9]
#
#   --gpu-only    configure and build DIR (default build-gpu-only/) with CONVLAT_WITH_ONEDNN=OFF:
#                 an agent for GPUs only, without oneDNN's 40 MB (--backend cpu then refuses)
#   --build-dir   where the binaries are built (default build/, or build-gpu-only/ with --gpu-only)
#   --no-build    pack what DIR holds as it is (the tests use this: no build from inside ctest)
#   --out         the archive (default dist/convlat-linux-x86_64.tar.xz)
#   --xz-level    compression, 9 (default: the smallest archive, about 1.5 CPU-minutes) to 0 (the tests)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

gpu_only=0
build_dir=""
do_build=1
out="$repo/dist/convlat-linux-x86_64.tar.xz"
xz_level=9
while (($#)); do
  case "$1" in
    --gpu-only) gpu_only=1 ;;
    --build-dir) build_dir=${2:?--build-dir needs a directory}; shift ;;
    --no-build) do_build=0 ;;
    --out) out=${2:?--out needs a file name}; shift ;;
    --xz-level) xz_level=${2:?--xz-level needs 0 to 9}; shift ;;
    *) echo "bundle.sh: unknown argument '$1' (see the comment at the top of $0)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$xz_level" =~ ^[0-9]$ ]] || { echo "bundle.sh: --xz-level must be 0 to 9, got '$xz_level'" >&2; exit 2; }
[[ -n "$build_dir" ]] || build_dir="$repo/$([[ $gpu_only == 1 ]] && echo build-gpu-only || echo build)"
build_dir=$(mkdir -p "$build_dir" && cd "$build_dir" && pwd)
out=$(mkdir -p "$(dirname "$out")" && cd "$(dirname "$out")" && pwd)/$(basename "$out")

programs=(profiler_agent/convlat-agent server/convlat-server client/convlat-client client/convlat-eval)
if ((do_build)); then
  if ((gpu_only)); then
    cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONVLAT_WITH_ONEDNN=OFF >/dev/null
  elif [[ ! -f "$build_dir/CMakeCache.txt" ]]; then
    cmake -S "$repo" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  targets=(convlat-agent convlat-server convlat-client convlat-eval)
  # The GPU tests: what tests/profiler_agent/cudnn/ registers, where this build has them (it has
  # none without the CUDA toolkit).
  known_targets=$(cmake --build "$build_dir" --target help)
  while read -r gpu_test; do
    grep -qw "$gpu_test" <<<"$known_targets" && targets+=("$gpu_test")
  done < <(sed -n 's/^convlat_add_test(\([A-Za-z0-9_]*\).*/\1/p' "$repo/tests/profiler_agent/cudnn/CMakeLists.txt")
  cmake --build "$build_dir" -j"$(nproc)" --target "${targets[@]}"
fi
for program in "${programs[@]}"; do
  [[ -x "$build_dir/$program" ]] || { echo "bundle.sh: $build_dir/$program is not built (run without --no-build)" >&2; exit 1; }
done

stage_root=$(mktemp -d)
trap 'rm -rf "$stage_root"' EXIT
name=convlat-linux-x86_64
stage="$stage_root/$name"
mkdir -p "$stage"/{bin,libexec/tests,lib,share/convlat/sweeps,share/convlat/onnx}

for program in "${programs[@]}"; do cp "$build_dir/$program" "$stage/libexec/"; done
shopt -s nullglob
for test_binary in "$build_dir"/tests/profiler_agent/cudnn/*_test; do
  if [[ -x "$test_binary" && -f "$test_binary" ]]; then cp "$test_binary" "$stage/libexec/tests/"; fi
done

# Libraries the host provides: the C/C++ runtime (glibc's parts, libstdc++, libgcc_s), and the
# driver, CUDA runtime, cuDNN and CUPTI, which must match the host's driver and come with it.
is_runtime_library() {
  case "$1" in
    linux-vdso.so.* | ld-linux-x86-64.so.* | libc.so.* | libm.so.* | libdl.so.* | libpthread.so.* | librt.so.* | \
      libutil.so.* | libresolv.so.* | libanl.so.* | libnsl.so.1 | libmvec.so.* | libstdc++.so.* | libgcc_s.so.*) return 0 ;;
  esac
  return 1
}
is_cuda_library() {
  case "$1" in
    libcuda.so.* | libcudart.so.* | libcudnn*.so.* | libcupti.so.* | libnvidia-*.so.* | libcublas*.so.* | \
      libnvrtc*.so.* | libnvJitLink.so.* | libnvperf*.so*) return 0 ;;
  esac
  return 1
}

binaries=("$stage"/libexec/convlat-* "$stage"/libexec/tests/*)
cuda_libraries=()
for binary in "${binaries[@]}"; do
  while read -r soname arrow path _; do
    [[ "$arrow" == "=>" ]] || continue
    is_runtime_library "$soname" && continue
    if is_cuda_library "$soname"; then
      cuda_libraries+=("$soname")
      continue
    fi
    if [[ "$path" == "not" ]]; then
      echo "bundle.sh: $(basename "$binary") needs $soname, which is not found here" >&2
      exit 1
    fi
    [[ -e "$stage/lib/$soname" ]] || cp -L "$path" "$stage/lib/$soname"
  done < <(ldd "$binary")
done
printf '%s\n' "${cuda_libraries[@]}" | sort -u >"$stage/share/convlat/host-libraries.txt"
libraries=("$stage"/lib/*.so*)

# Smaller, same code: no debug sections or local symbols; and no RUNPATH into this machine's
# build (libraries come from lib/ and the host's CUDA, which `launch` puts on LD_LIBRARY_PATH).
strip --strip-unneeded "${libraries[@]}"
strip --strip-all "${binaries[@]}"
rpath_script="$stage_root/rpath.cmake"
echo 'file(RPATH_REMOVE FILE "${BINARY}")' >"$rpath_script"
for binary in "${binaries[@]}"; do cmake -DBINARY="$binary" -P "$rpath_script"; done

install -m 755 "$repo/scripts/bundle/launch" "$stage/launch"
for program in "$stage"/libexec/convlat-*; do ln -s ../launch "$stage/bin/$(basename "$program")"; done
cp "$repo"/data/sweeps/*.txt "$stage/share/convlat/sweeps/"
cp "$repo"/tests/fixtures/onnx/*.onnx "$stage/share/convlat/onnx/"

# What it needs from the host: the newest glibc and libstdc++ symbol versions any file refers to.
glibc=$(objdump -T "${binaries[@]}" "${libraries[@]}" |
  grep -o 'GLIBC_[0-9.]*' | sort -t. -k1,1 -k2,2n -k3,3n -u | tail -1)
glibcxx=$(objdump -T "${binaries[@]}" "${libraries[@]}" |
  grep -o 'GLIBCXX_[0-9.]*' | sort -t. -k1,1 -k2,2n -k3,3n -u | tail -1)
{
  echo "convlat bundle, built $(date -u +%Y-%m-%dT%H:%M:%SZ) from $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "oneDNN (CPU backend): $([[ -e "$stage/lib/libdnnl.so.3" || -e "$stage/lib/libdnnl.so.2" ]] && echo yes || echo no)"
  echo "needs: $glibc, $glibcxx (libstdc++), x86-64; from the host: $(tr '\n' ' ' <"$stage/share/convlat/host-libraries.txt")"
} >"$stage/VERSION"

rm -f "$out"
tar -C "$stage_root" -cf - "$name" | xz -"$xz_level" -T"$(nproc)" >"$out.partial"
mv "$out.partial" "$out"
echo "bundle: $out ($(du -k "$out" | cut -f1) KiB; $(cat "$stage/VERSION" | sed -n 3p))"
echo "largest libraries:" && (cd "$stage/lib" && ls -S -s --block-size=K . | sed -n 2,6p)
