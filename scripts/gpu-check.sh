#!/usr/bin/env bash
# The GPU check in one command, for a GPU host with a driver, CUDA/cuDNN/CUPTI (e.g. PyTorch's
# wheels) and none of Debian's libraries: unpacks the bundle (scripts/bundle.sh), prints the GPU,
# driver, CUDA and cuDNN, runs the GPU tests, starts a server on loopback, measures the staircase,
# default and op sweeps in fp32 NCHW and fp16 tensor-op NHWC, runs the fixture networks with the
# agent's network runner and with PyTorch (when there), asks convlat for the same networks and
# writes predicted-vs-measured CSVs and a summary into OUTDIR (at most 8 files). docs/gpu-check.md.
#
#   scripts/gpu-check.sh OUTDIR [--budget-seconds 480] [--bundle FILE] [--backend cudnn|cpu]
#                        [--networks a,b,...] [--batches 1,32] [--runs 20] [--python PATH]
#
# The budget is shared among the stages, most valuable first; each stage is cut (SIGTERM, so the
# agent keeps what it measured) when its share is spent, and time a stage leaves goes to the
# next. CSVs are written as measurements come and the summary after every stage, so a run that
# is killed still leaves what it measured. `--backend cpu` is the dry run for a machine without a
# GPU: the same stages on oneDNN (fp16 is refused there, as failed measurements).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: $0 OUTDIR [--budget-seconds 480] [--bundle FILE] [--backend cudnn|cpu] [--networks a,b] [--batches 1,32] [--runs 20] [--python PATH]"

out=""
budget=480
bundle="$repo/dist/convlat-linux-x86_64.tar.xz"
backend=cudnn
networks="resnet18,resnet50,mobilenet_v2,mobilenet_v3_large,vgg16,efficientnet_b0,densenet121,squeezenet1_1,shufflenet_v2_x1_0"
batches="1,32"
runs=20
python=""
while (($#)); do
  case "$1" in
    --budget-seconds) budget=${2:?--budget-seconds needs a number of seconds}; shift ;;
    --bundle) bundle=${2:?--bundle needs a file}; shift ;;
    --backend) backend=${2:?--backend needs cudnn or cpu}; shift ;;
    --networks) networks=${2:?--networks needs names}; shift ;;
    --batches) batches=${2:?--batches needs sizes}; shift ;;
    --runs) runs=${2:?--runs needs a count}; shift ;;
    --python) python=${2:?--python needs an interpreter}; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) echo "gpu-check: unknown flag '$1'"$'\n'"$usage" >&2; exit 2 ;;
    *) [[ -z "$out" ]] || { echo "gpu-check: one OUTDIR only, got '$out' and '$1'" >&2; exit 2; }; out=$1 ;;
  esac
  shift
done
[[ -n "$out" ]] || { echo "gpu-check: OUTDIR is required"$'\n'"$usage" >&2; exit 2; }
[[ "$budget" =~ ^[0-9]+$ && "$budget" -ge 30 ]] || { echo "gpu-check: --budget-seconds must be a whole number >= 30, got '$budget'" >&2; exit 2; }
[[ "$runs" =~ ^[0-9]+$ && "$runs" -ge 1 ]] || { echo "gpu-check: --runs must be a whole number >= 1, got '$runs'" >&2; exit 2; }
[[ "$backend" == cudnn || "$backend" == cpu ]] || { echo "gpu-check: --backend must be cudnn or cpu, got '$backend'" >&2; exit 2; }
[[ "$batches" =~ ^[0-9]+(,[0-9]+)*$ ]] || { echo "gpu-check: --batches must be sizes like 1,32, got '$batches'" >&2; exit 2; }
[[ -f "$bundle" ]] || { echo "gpu-check: no bundle at $bundle: run scripts/bundle.sh first, or give --bundle FILE" >&2; exit 2; }
IFS=, read -r -a network_list <<<"$networks"
IFS=, read -r -a batch_list <<<"$batches"
for name in "${network_list[@]}"; do
  [[ -f "$repo/tests/fixtures/onnx/$name.onnx" ]] ||
    { echo "gpu-check: --networks: no fixture tests/fixtures/onnx/$name.onnx" >&2; exit 2; }
done

start=$(date +%s)
deadline=$((start + budget))
mkdir -p "$out"
out=$(cd "$out" && pwd)
# Only these 8 files: the copy back from a borrowed GPU machine takes at most 8.
rm -f "$out"/{summary.md,environment.txt,gtest.xml,measurements-fp32-nchw.csv,measurements-fp16-nhwc.csv,layers.csv,networks.csv,log.txt}
log="$out/log.txt"
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ -f "$work/server.log" ]]; then
    { echo "--- server log (last 40 lines)"; tail -n 40 "$work/server.log"; } >>"$log"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "gpu-check: interrupted" >&2; exit 130' INT TERM
exec > >(tee -a "$log") 2>&1

elapsed() { echo $(($(date +%s) - start)); }
left() { echo $((deadline - $(date +%s))); }
say() { echo "[gpu-check +$(elapsed)s] $*"; }
# One line per stage for the summary: name, outcome (done, cut, skipped, failed), seconds, detail.
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$work/stages.tsv"; }
: >"$work/stages.tsv"

# The stages still to come and their shares of the time left; 20 s stay for the report.
stage_names=(gtests sweep-fp32-nchw-staircase sweep-fp32-nchw-default sweep-fp32-nchw-ops networks-runner queries
  networks-pytorch sweep-fp16-nhwc-staircase sweep-fp16-nhwc-default sweep-fp16-nhwc-ops sweep-fp32-nchw-more)
stage_shares=(10 10 8 6 16 4 16 8 6 5 1)
report_reserve=20
# Seconds for the next stage, NAME: its share of what is left among the stages not yet run.
allot() {
  local name=$1 total=0 share=0 i seen=0
  for i in "${!stage_names[@]}"; do
    [[ "${stage_names[$i]}" == "$name" ]] && { seen=1; share=${stage_shares[$i]}; }
    ((seen)) && total=$((total + stage_shares[i]))
  done
  local available=$(($(left) - report_reserve))
  ((available > 0 && total > 0)) || { echo 0; return; }
  # At least 15 s while there are (a stage needs some to be worth starting): earlier stages first.
  local seconds=$((available * share / total)) floor=$((available < 15 ? available : 15))
  echo $((seconds > floor ? seconds : floor))
}

report() {
  if [[ -z "$report_python" ]]; then return 0; fi
  "$report_python" "$repo/scripts/gpu_check_report.py" --work "$work" --out "$out" --backend "$backend" \
    --budget "$budget" --elapsed "$(elapsed)" || say "the report failed (see above); the CSVs stand"
}

# --- unpack and describe the host ------------------------------------------------------------------
say "unpacking $bundle"
tar -xJf "$bundle" -C "$work"
root="$work/convlat-linux-x86_64"
launch="$root/launch"
[[ -x "$launch" ]] || { echo "gpu-check: $bundle holds no convlat-linux-x86_64/launch" >&2; exit 2; }

# A Python for the report (standard library only) and, if it has them, PyTorch with torchvision.
report_python=""
torch_python=""
candidates=()
[[ -n "$python" ]] && candidates+=("$python")
shopt -s nullglob
candidates+=("$(command -v python3 || true)" /opt/*/.venv/bin/python3 /opt/*/venv/bin/python3 /opt/conda/bin/python3 /usr/bin/python3)
shopt -u nullglob
for candidate in "${candidates[@]}"; do
  [[ -n "$candidate" && -x "$candidate" ]] || continue
  [[ -n "$report_python" ]] || report_python=$candidate
  if [[ -z "$torch_python" ]] && timeout 60 "$candidate" -c 'import torch, torchvision' 2>/dev/null; then
    torch_python=$candidate
  fi
done

say "describing the host"
{
  echo "# gpu-check $(date -u +%Y-%m-%dT%H:%M:%SZ), backend $backend, budget ${budget}s"
  echo "## bundle"; cat "$root/VERSION"
  echo "## host"; uname -srm; (ldd --version 2>&1 || true) | head -1
  echo "cpus: $(nproc)"
  echo "## gpu"
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv 2>&1 || true
    nvidia-smi 2>&1 | grep -m1 "CUDA Version" || true
  else
    echo "nvidia-smi: not found"
  fi
  echo "## cuda"
  nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
  if [[ -x "$nvcc" ]]; then "$nvcc" --version | tail -2; else echo "nvcc: not found"; fi
  echo "## libraries the launcher finds"; "$launch" --where
  # Wheels name the file libcudnn.so.9 alone: ask the library itself (no GPU needed).
  cudnn=$("$launch" --where | sed -n 's/^libcudnn.so.9: //p')
  if [[ -n "$report_python" && -f "$cudnn" ]]; then
    echo "cudnn: $(timeout 30 "$report_python" -c 'import ctypes, sys; print(ctypes.CDLL(sys.argv[1]).cudnnGetVersion())' "$cudnn" 2>&1) ($cudnn)"
  else
    echo "cudnn: ${cudnn:-not found}"
  fi
  echo "## python"
  echo "report python: ${report_python:-none}"
  if [[ -n "$torch_python" ]]; then
    timeout 60 "$torch_python" -c 'import torch, torchvision; print("torch", torch.__version__, "cuda", torch.version.cuda, "cudnn", torch.backends.cudnn.version(), "torchvision", torchvision.__version__, "gpu", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none")' 2>&1 || true
  else
    echo "torch: no python3 with torch and torchvision found"
  fi
} >"$out/environment.txt" 2>&1
cat "$out/environment.txt"
record environment "done" "$(elapsed)" "environment.txt"

# --- GPU tests ---------------------------------------------------------------------------------------
stage_start=$(date +%s)
seconds=$(allot gtests)
mkdir -p "$work/gtest"
# The host-side tests first (seconds), the real GPU runs (the backend's) last: a cut loses least.
shopt -s nullglob
tests=()
for test in "$root"/libexec/tests/*; do [[ "$test" == *backend* ]] || tests+=("$test"); done
for test in "$root"/libexec/tests/*backend*; do tests+=("$test"); done
shopt -u nullglob
gtest_outcome="done"
if ((${#tests[@]} == 0)); then
  gtest_outcome=skipped
  record gtests skipped 0 "the bundle has no GPU tests (built without the CUDA toolkit)"
else
  for test in "${tests[@]}"; do
    name=${test##*/}
    remaining=$((stage_start + seconds - $(date +%s)))
    if ((remaining < 5)); then
      gtest_outcome="cut"
      say "gtests: out of time before $name"
      continue
    fi
    say "gtests: $name (${remaining}s at most)"
    set +e
    timeout -k 5 "$remaining" "$launch" "$name" --gtest_output="xml:$work/gtest/$name.xml" >"$work/gtest/$name.log" 2>&1
    code=$?
    set -e
    tail -n 3 "$work/gtest/$name.log"
    if ((code == 124 || code == 137)); then
      gtest_outcome="cut"
    elif ((code != 0)) && [[ "$gtest_outcome" == "done" ]]; then
      gtest_outcome=failed
      grep -E '^\[  FAILED  \]|error' "$work/gtest/$name.log" | head -20 || true
    fi
  done
  # One XML for all the binaries: their <testsuite> elements under one <testsuites>.
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo '<testsuites name="gpu-check">'
    for xml in "$work"/gtest/*.xml; do
      [[ -f "$xml" ]] || continue # none when every binary was cut (gtest writes its XML at the end)
      sed -e '/^<?xml/d' -e '/^<testsuites/d' -e '/^<\/testsuites>/d' "$xml"
    done
    echo '</testsuites>'
  } >"$out/gtest.xml"
  record gtests "$gtest_outcome" "$(($(date +%s) - stage_start))" "${#tests[@]} binaries"
fi
report

# --- the server ----------------------------------------------------------------------------------------
say "starting the server on loopback"
"$launch" convlat-server --listen 127.0.0.1:0 --metrics= --port_file "$work/port" --db "$work/convlat.db" \
  >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  [[ -s "$work/port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "gpu-check: the server exited" >&2; exit 1; }
  sleep 0.1
done
[[ -s "$work/port" ]] || { echo "gpu-check: the server wrote no port file in 30 s" >&2; exit 1; }
server="127.0.0.1:$(head -1 "$work/port")"
say "server at $server"

# --- sweeps --------------------------------------------------------------------------------------------
# PRECISION (fp32-nchw, fp16-nhwc) -> the agent's flags and platform.
precision_flags() {
  case "$1" in
    fp32-nchw) echo "--dtype fp32 --layout nchw --math default" ;;
    fp16-nhwc) echo "--dtype fp16 --layout nhwc --math tensor_op" ;;
  esac
}
platform_of() { echo "gpu-check-$1"; }

# sweep PRECISION KIND SWEEP: one agent run, cut by its share of the budget.
sweep() {
  local precision=$1 sweep_name=$3 stage="sweep-$1-$2"
  local seconds
  seconds=$(allot "$stage")
  if ((seconds < 10)); then
    record "$stage" skipped 0 "out of time"
    return 0
  fi
  local csv="$out/measurements-$precision.csv" before=0 after code stage_start
  [[ -f "$csv" ]] && before=$(($(wc -l <"$csv") - 1))
  ((before >= 0)) || before=0
  say "$stage: --sweep $(basename "$sweep_name") ($seconds s at most)"
  stage_start=$(date +%s)
  set +e
  # SIGTERM ends the sweep after the config being measured; the agent then spools and delivers
  # what it has (10 s at most) and the CSV keeps every measurement already made.
  # shellcheck disable=SC2046
  timeout -k 20 "$seconds" "$launch" convlat-agent --platform "$(platform_of "$precision")" --server "$server" \
    --backend "$backend" --sweep "$sweep_name" $(precision_flags "$precision") --csv_out "$csv" \
    --spool "$work/spool-$precision" --push_timeout 10 --min_time 0.02 --max_time 0.5 >"$work/agent.log" 2>&1
  code=$?
  set -e
  { grep -v '^\s*$' "$work/agent.log" || true; } | tail -n 4
  after=0
  [[ -f "$csv" ]] && after=$(($(wc -l <"$csv") - 1))
  local outcome="done"
  if ((code == 124 || code == 137 || code == 130)); then outcome="cut"; elif ((code != 0)); then outcome=failed; fi
  record "$stage" "$outcome" "$(($(date +%s) - stage_start))" "$((after - before)) measurements (agent exit $code)"
  report
}

sweep fp32-nchw staircase "$root/share/convlat/sweeps/staircase.txt"
sweep fp32-nchw default default
sweep fp32-nchw ops ops

# --- networks: the agent's network runner --------------------------------------------------------------
mkdir -p "$work/runner" "$work/query"
# The CPU network runner is fp32 only (it refuses fp16): the dry run runs fp32 alone.
precisions=(fp32-nchw fp16-nhwc)
[[ "$backend" == cpu ]] && precisions=(fp32-nchw)
stage_start=$(date +%s)
seconds=$(allot networks-runner)
outcome="done"
count=0
for precision in "${precisions[@]}"; do
  for batch in "${batch_list[@]}"; do
    for name in "${network_list[@]}"; do
      remaining=$((stage_start + seconds - $(date +%s)))
      if ((remaining < 5)); then
        outcome="cut"
        continue
      fi
      file="$work/runner/$name.b$batch.$precision.tsv"
      flags=(--dtype fp32 --layout nchw)
      [[ "$precision" == fp16-nhwc ]] && flags=(--dtype fp16 --layout nhwc)
      set +e
      timeout -k 5 "$((remaining < 120 ? remaining : 120))" "$launch" convlat-agent network \
        "$root/share/convlat/onnx/$name.onnx" --backend "$backend" "${flags[@]}" --batch "$batch" --runs "$runs" \
        >"$file" 2>"$file.err"
      code=$?
      set -e
      if ((code == 0)); then
        say "runner $name b$batch $precision: $(sed -n 's/^total_us\t//p' "$file") us"
        count=$((count + 1))
      else
        say "runner $name b$batch $precision failed (exit $code): $(tail -n 1 "$file.err")"
        printf 'error\t%s\n' "exit $code: $(tail -n 1 "$file.err" | tr '\t' ' ')" >"$file"
        ((code == 124 || code == 137)) && outcome="cut"
      fi
    done
  done
done
((${#precisions[@]} == 2)) || say "networks-runner: fp16-nhwc not run: the CPU runner is fp32 only"
record networks-runner "$outcome" "$(($(date +%s) - stage_start))" "$count runs"
report

# --- convlat's predictions for the same networks --------------------------------------------------------
stage_start=$(date +%s)
seconds=$(allot queries)
outcome="done"
count=0
platform=$(platform_of fp32-nchw)
# The model is fitted in the background after the last measurements: wait for it (a while).
for _ in $(seq 1 60); do
  "$launch" convlat-client --server "$server" --timeout 5 model --platform "$platform" >/dev/null 2>&1 && break
  (($(date +%s) - stage_start < seconds / 2)) || break
  sleep 0.5
done
for batch in "${batch_list[@]}"; do
  for name in "${network_list[@]}"; do
    remaining=$((stage_start + seconds - $(date +%s)))
    if ((remaining < 2)); then
      outcome="cut"
      continue
    fi
    file="$work/query/$name.b$batch.fp32-nchw.csv"
    set +e
    timeout -k 5 "$((remaining < 60 ? remaining : 60))" "$launch" convlat-client --server "$server" --format csv \
      query "$root/share/convlat/onnx/$name.onnx" --platform "$platform" --batch "$batch" --layout nchw \
      >"$file" 2>"$file.err"
    code=$?
    set -e
    if ((code == 0)); then
      count=$((count + 1))
    else
      say "query $name b$batch failed (exit $code): $(tail -n 1 "$file.err")"
      rm -f "$file"
    fi
  done
done
record queries "$outcome" "$(($(date +%s) - stage_start))" \
  "$count queries of $platform (fp32 NCHW; fp16 is not asked: a network query has no data type)"
report

# --- networks: PyTorch -----------------------------------------------------------------------------------
stage_start=$(date +%s)
seconds=$(allot networks-pytorch)
if [[ "$backend" != cudnn ]]; then
  record networks-pytorch skipped 0 "the dry run (--backend cpu) compares against the GPU only"
elif [[ -z "$torch_python" ]]; then
  record networks-pytorch skipped 0 "no python3 with torch and torchvision here (--python PATH names one)"
elif ((seconds < 15)); then
  record networks-pytorch skipped 0 "out of time"
else
  say "networks-pytorch with $torch_python ($seconds s at most)"
  set +e
  timeout -k 10 "$seconds" "$torch_python" "$repo/scripts/pytorch_networks.py" --out "$work/pytorch.csv" \
    --networks "$networks" --batches "$batches" --runs "$runs" --deadline "$((stage_start + seconds - 10))"
  code=$?
  set -e
  outcome="done"
  if ((code == 124 || code == 137)); then outcome="cut"; elif ((code != 0)); then outcome=failed; fi
  rows=0
  [[ -f "$work/pytorch.csv" ]] && rows=$(($(wc -l <"$work/pytorch.csv") - 1))
  record networks-pytorch "$outcome" "$(($(date +%s) - stage_start))" "$rows runs (exit $code)"
fi
report

# --- fp16 tensor-op NHWC sweeps --------------------------------------------------------------------------
sweep fp16-nhwc staircase "$root/share/convlat/sweeps/staircase.txt"
sweep fp16-nhwc default default
sweep fp16-nhwc ops ops

# What stages finishing early left: more of the fp32 default sweep, which resumes where it stopped.
sweep fp32-nchw more default

say "done in $(elapsed)s of ${budget}s"
report
[[ -n "$report_python" ]] || say "no python3 here: layers.csv, networks.csv and summary.md were not written"
ls -la "$out"
