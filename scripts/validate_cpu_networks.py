#!/usr/bin/python3
"""Whole networks on this CPU: convlat's prediction against PyTorch actually running them.

For each fixture network (tests/fixtures/onnx/, exported from these same torchvision models),
runs the torchvision model at batch 1 on this CPU with Debian's PyTorch (its convolutions are
oneDNN's), measures the median wall time per inference and, with the profiler, the time spent in
convolutions and matrix products; then asks a running convlat server for its per-layer
prediction of the ONNX fixture and sums the convolution and matrix-product layers (the only ones
the agents measure so far). Prints a Markdown table.

    scripts/validate_cpu_networks.sh       # starts a server seeded with data/measurements/cpu-epyc-2core
"""
import json
import statistics
import subprocess
import sys
import time

import torch
import torchvision.models as models
from torch.profiler import ProfilerActivity, profile

NETWORKS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "vgg16", "efficientnet_b0",
            "densenet121", "squeezenet1_1", "shufflenet_v2_x1_0"]
GEMM_OPS = {"aten::mkldnn_convolution", "aten::thnn_conv2d", "aten::_convolution_depthwise2d",
            "aten::_slow_conv2d_forward", "aten::addmm", "aten::mm"}


def measure(name, runs=10):
    torch.manual_seed(0)
    net = getattr(models, name)(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        for _ in range(3):
            net(x)
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            net(x)
            walls.append(time.perf_counter() - start)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(runs):
                net(x)
    gemm_us = sum(e.self_cpu_time_total for e in prof.key_averages() if e.key in GEMM_OPS) / runs
    return statistics.median(walls) * 1e3, gemm_us / 1e3


def predict(client, server, platform, name):
    out = subprocess.run([client, "--server", server, "query", f"tests/fixtures/onnx/{name}.onnx",
                          "--platform", platform, "--batch", "1", "--format", "json"],
                         check=True, capture_output=True, text=True).stdout
    layers = json.loads(out).get("layers", [])
    convs = [l for l in layers if l.get("prediction", {}).get("explanation", {}).get("model_kind") not in
             (None, "not-modelled", "peak-bandwidth-estimate")]
    return sum(l["prediction"].get("latency_us", 0) for l in convs) / 1e3, len(convs), len(layers)


def main():
    client, server, platform = sys.argv[1:4]
    torch.set_num_threads(2)
    print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads, oneDNN "
          f"{'on' if torch.backends.mkldnn.is_available() else 'off'}), batch 1, 224x224\n")
    print("| network | measured network ms | measured conv+matmul ms | predicted conv+matmul ms | error | layers predicted |")
    print("|---|---|---|---|---|---|")
    errors = []
    for name in NETWORKS:
        wall_ms, gemm_ms = measure(name)
        predicted_ms, predicted_layers, all_layers = predict(client, server, platform, name)
        error = predicted_ms / gemm_ms - 1
        errors.append(abs(error))
        print(f"| {name} | {wall_ms:.1f} | {gemm_ms:.1f} | {predicted_ms:.1f} | {100 * error:+.0f} % | "
              f"{predicted_layers} of {all_layers} |", flush=True)
    print(f"\nMean absolute error of the conv+matmul time: {100 * statistics.mean(errors):.0f} %")


if __name__ == "__main__":
    main()
