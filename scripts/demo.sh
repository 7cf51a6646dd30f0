#!/usr/bin/env bash
# What scripts/quickstart.sh runs once convlat is built (the ctest QuickstartDemo runs it too, so
# the README's first command stays true): the server seeded with gpu-t4, this CPU profiled with
# the quick sweep, predictions of ResNet-50 layers and of a whole ResNet-18, the network on this
# CPU and on the T4 side by side, and a few metrics.
#   CONVLAT_QUICKSTART_DIR  where the database, spool and logs go (default quickstart/, remade)
#   CONVLAT_PORT, CONVLAT_METRICS_PORT  the server's ports (default 50051 and 9464; 0: any free one)
#   CONVLAT_BUILD_DIR       where the binaries were built (default build/)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${CONVLAT_BUILD_DIR:-build}
work=${CONVLAT_QUICKSTART_DIR:-quickstart}
rm -rf "$work" && mkdir -p "$work"  # a fresh demo each time
# Only gpu-t4 of the public GPU platforms: each is fitted in the background, and the CPU's model
# would queue behind all eight (a server started with --seed_public_data alone gets them all).
"$build"/server/convlat-server --listen "127.0.0.1:${CONVLAT_PORT:-50051}" --db "$work/convlat.db" \
  --metrics "127.0.0.1:${CONVLAT_METRICS_PORT:-9464}" --seed_public_data data/public --seed_platforms gpu-t4 \
  --port_file "$work/port" >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do [ -s "$work/port" ] && break; sleep 0.1; done  # seeding comes first
[ -s "$work/port" ] || { cat "$work/server.log"; exit 1; }
server=127.0.0.1:$(sed -n 1p "$work/port")  # the ports the server bound (asked for 0: a free one)
metrics_port=$(sed -n 2p "$work/port")

platform="$(hostname)-cpu"
echo "== profiling this CPU as platform '$platform' (quick sweep)"
"$build"/profiler_agent/convlat-agent --server "$server" --platform "$platform" --backend cpu \
  --sweep quick --spool "$work/spool"

client=("$build"/client/convlat-client --server "$server")
for _ in $(seq 100); do "${client[@]}" model --platform "$platform" >/dev/null 2>&1 && break; sleep 0.1; done
echo "== platforms"
"${client[@]}" platforms
echo "== model"
"${client[@]}" model --platform "$platform"
echo "== predictions for ResNet-50 layers at batch 1 and 8"
"${client[@]}" predict --platform "$platform" \
  --conv n=1,c=3,h=224,w=224,k=64,r=7,s=7,stride=2,pad=3 \
  n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1 \
  n=1,c=256,h=56,w=56,k=128,r=1,s=1 \
  n=1,c=512,h=14,w=14,k=512,r=3,s=3,stride=2,pad=1 \
  n=8,c=64,h=56,w=56,k=64,r=3,s=3,pad=1 \
  n=8,c=1024,h=14,w=14,k=256,r=1,s=1
echo "== a whole network from its ONNX file: ResNet-18 (torchvision structure), batch 1"
"${client[@]}" query tests/fixtures/onnx/resnet18.onnx --platform "$platform" --batch 1
echo "== the same network on this CPU and on the public T4 (gpu-t4, cuDNN via PyTorch), side by side"
for _ in $(seq 600); do "${client[@]}" model --platform gpu-t4 >/dev/null 2>&1 && break; sleep 0.5; done
"${client[@]}" query tests/fixtures/onnx/resnet18.onnx --platform "$platform" --batch 1 --format csv \
  >"$work/cpu.csv"
"${client[@]}" query tests/fixtures/onnx/resnet18.onnx --platform gpu-t4 --batch 1 --format csv >"$work/t4.csv"
/usr/bin/python3 - "$work/cpu.csv" "$work/t4.csv" "$platform" <<'PY'
import csv, sys
cpu, t4 = (list(csv.DictReader(open(path))) for path in sys.argv[1:3])
print(f"{'layer':<46} {'op':<16} {sys.argv[3] + ' ms':>16} {'gpu-t4 ms':>12}")
for a, b in zip(cpu, t4):
    if not a["latency_ms"] or not b["latency_ms"]:  # the summary rows without a figure ("left out")
        continue
    print(f"{a['layer']:<46} {a['op']:<16} {float(a['latency_ms']):>16.4f} {float(b['latency_ms']):>12.4f}")
PY
echo "== a few of the server's Prometheus metrics (http://127.0.0.1:$metrics_port/metrics)"
exec 3<>/dev/tcp/127.0.0.1/"$metrics_port"
printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
grep -E '^convlat_(requests_total|measurements_ingested_total|model_fit_mape_percent)' <&3 || true
exec 3>&-
