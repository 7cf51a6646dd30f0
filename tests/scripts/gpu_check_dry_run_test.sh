#!/usr/bin/env bash
# GpuCheckDryRun: scripts/gpu-check.sh with the CPU backend (no GPU here), a small budget and one
# network, on the bundle that BundlePack made: OUTDIR gets at most 8 files, the ones a run always
# leaves, a summary with every section, a measured and predicted network and per-layer rows.
#
#   gpu_check_dry_run_test.sh REPO BUNDLE.tar.xz
set -euo pipefail
repo=${1:?usage: $0 REPO BUNDLE.tar.xz}
bundle=${2:?usage: $0 REPO BUNDLE.tar.xz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out="$work/out"

# The budget paces the run (each stage gets its share of it), so on a busy machine the same work
# needs more of it: 100 s on an idle machine, times the load per core, at most 500 s (TIMEOUT 900).
load=$(cut -d' ' -f1 /proc/loadavg)
budget=$(awk -v load="$load" -v cpus="$(nproc)" 'BEGIN { f = load / cpus; if (f < 1) f = 1; b = int(100 * f); print (b > 500 ? 500 : b) }')
echo "load average $load on $(nproc) cores: budget ${budget}s"
"$repo/scripts/gpu-check.sh" "$out" --bundle "$bundle" --backend cpu --budget-seconds "$budget" \
  --networks squeezenet1_1 --batches 1 --runs 2

fail() { echo "FAIL: $*"; exit 1; }
files=("$out"/* "$out"/.[!.]*)
count=0
for file in "${files[@]}"; do [[ -e "$file" ]] && count=$((count + 1)); done
((count <= 8)) || fail "OUTDIR holds $count files (at most 8): $(ls -A "$out")"
for file in summary.md environment.txt gtest.xml log.txt measurements-fp32-nchw.csv layers.csv networks.csv; do
  [[ -s "$out/$file" ]] || fail "$file missing or empty"
done
summary=$(<"$out/summary.md")
for section in "## Environment" "## Coverage" "## GPU tests" "## Sweeps" "## Networks" "## Per-layer accuracy" \
  "## Not covered"; do
  [[ "$summary" == *"$section"* ]] || fail "summary.md has no '$section'"
done
[[ "$summary" == *"| gtests | done |"* ]] || fail "the GPU tests did not run to the end: $(grep gtests "$out/summary.md")"
[[ "$summary" == *"networks-pytorch | skipped"* ]] || fail "PyTorch is not reported skipped on the CPU dry run"
# The network was run and predicted: runner_us and predicted_us are set.
grep -qE '^squeezenet1_1,1,fp32-nchw,[0-9.]+,[0-9.]+,' "$out/networks.csv" ||
  fail "networks.csv has no measured and predicted squeezenet1_1: $(cat "$out/networks.csv")"
(($(grep -c '^squeezenet1_1,1,fp32-nchw,' "$out/layers.csv") >= 10)) || fail "layers.csv has few layers"
(($(wc -l <"$out/measurements-fp32-nchw.csv") >= 3)) || fail "measurements-fp32-nchw.csv has under 2 measurements"
grep -q '<testsuites name="gpu-check">' "$out/gtest.xml" || fail "gtest.xml is not the merged report"
echo "PASS: $(ls "$out" | tr '\n' ' ')"
