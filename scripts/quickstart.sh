#!/usr/bin/env bash
# The main job on one machine, no GPU needed: build, start the server (seeded with a public GPU
# platform, gpu-t4, from data/public), profile this CPU with the quick sweep (oneDNN), then ask
# for predictions of real ResNet-50 layers and of a whole ResNet-18 from its ONNX file, and end
# with that network on this CPU and on the T4 side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh

work=${CONVLAT_QUICKSTART_DIR:-quickstart}
rm -rf "$work" && mkdir -p "$work"  # a fresh demo each time
server=127.0.0.1:50051
# Only gpu-t4 of the public GPU platforms: each is fitted in the background, and the CPU's model
# would queue behind all eight (a server started with --seed_public_data alone gets them all).
build/server/convlat-server --listen "$server" --db "$work/convlat.db" --metrics 127.0.0.1:9464 \
  --seed_public_data data/public --seed_platforms gpu-t4 --port_file "$work/port" >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; wait $server_pid 2>/dev/null || true' EXIT
for _ in $(seq 600); do [ -f "$work/port" ] && break; sleep 0.1; done  # seeding comes first
[ -f "$work/port" ] || { cat "$work/server.log"; exit 1; }

platform="$(hostname)-cpu"
echo "== profiling this CPU as platform '$platform' (quick sweep)"
build/profiler_agent/convlat-agent --server "$server" --platform "$platform" --backend cpu \
  --sweep quick --spool "$work/spool"

client=(build/client/convlat-client --server "$server")
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
    print(f"{a['layer']:<46} {a['op']:<16} {float(a['latency_ms']):>16.4f} {float(b['latency_ms']):>12.4f}")
PY
echo "== a few of the server's Prometheus metrics (http://127.0.0.1:9464/metrics)"
exec 3<>/dev/tcp/127.0.0.1/9464
printf 'GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
grep -E '^convlat_(requests_total|measurements_ingested_total|model_fit_mape_percent)' <&3 || true
exec 3>&-
