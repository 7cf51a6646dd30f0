#!/usr/bin/python3
"""Whole networks on this CPU: convlat's prediction against the networks actually running.

For each of the nine fixture networks and the ten a user brings (tests/fixtures/onnx/, exported
from torchvision as a user would: static shapes, their own input sizes), `convlat-agent network` runs the ONNX graph's
layers back to back on oneDNN, each reading what the layer before it wrote (the library the
agent profiles, executing the network as convlat imports it), in the native blocked layout and in
NCHW. For context, the same torchvision models run at batch 1 on this CPU with Debian's PyTorch in
two ways (median wall time per inference):
- deployed: TorchScript frozen and optimized for inference (torch.jit.optimize_for_inference):
  batch norms folded into the convolutions, every convolution a prepacked oneDNN one, activations
  fused where oneDNN can. This is the runtime the ONNX fixture describes (convlat folds and fuses
  the same way) and the library the agent times.
- eager: module by module. Eager PyTorch 1.13 sends many batch-1 convolutions to its own im2col +
  BLAS path (aten::_slow_conv2d_forward, 68 % of SqueezeNet's time in the profiler) instead of
  oneDNN, so it is not what the agent measured.
Then asks a running convlat server for its per-layer prediction of the ONNX fixture (convolutions,
matrix products and every other op): in the native layout for the deployed runtime, in NCHW for
eager PyTorch. Prints a Markdown table. The ten brought networks are compared with the oneDNN
runs only (their PyTorch columns read "-"): that is the yardstick, and it keeps the run short.

    scripts/validate_cpu_networks.sh       # starts a server seeded with data/measurements/cpu-zen5-2core
    scripts/validate_cpu_networks.sh --platform cpu-epyc-2core   # the files of the AVX2 VM
    scripts/validate_cpu_networks.sh convnext_tiny squeezenet1_1   # only these (names of the table)
"""
import json
import re
import statistics
import subprocess
import sys
import time

import torch
import torchvision.models as models

NETWORKS = ["resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "vgg16", "efficientnet_b0",
            "densenet121", "squeezenet1_1", "shufflenet_v2_x1_0"]
# Networks a user brings: the fixture file of each (ConvNeXt at opset 17: LayerNormalization as one node).
BROUGHT = {"googlenet": "googlenet", "inception_v3": "inception_v3", "resnext50_32x4d": "resnext50_32x4d",
           "regnet_y_400mf": "regnet_y_400mf", "mnasnet1_0": "mnasnet1_0", "efficientnet_b3": "efficientnet_b3",
           "convnext_tiny": "convnext_tiny_opset17", "fcn_resnet50": "fcn_resnet50",
           # Transformers: attention as batched matrix products, layer norms as ONNX arithmetic (opset 14).
           "vit_b_16": "vit_b_16", "swin_t": "swin_t"}


def median_ms(net, x, runs):
    for _ in range(3):
        net(x)
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        net(x)
        walls.append(time.perf_counter() - start)
    return statistics.median(walls) * 1e3


def measure(name, runs=10):
    """Median ms deployed (TorchScript optimized for inference), median ms eager."""
    torch.manual_seed(0)
    net = getattr(models, name)(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        deployed = torch.jit.optimize_for_inference(torch.jit.script(net))
        deployed_ms = median_ms(deployed, x, runs)
        eager_ms = median_ms(net, x, runs)
    return deployed_ms, eager_ms


def predict(client, server, platform, name, layout):
    """Predicted total ms, layers, layers not modelled."""
    out = json.loads(subprocess.run([client, "--server", server, "query", f"tests/fixtures/onnx/{name}.onnx",
                                     "--platform", platform, "--batch", "1", "--layout", layout, "--format", "json"],
                                    check=True, capture_output=True, text=True).stdout)
    return out.get("total_us", 0) / 1e3, len(out.get("layers", [])), out.get("unmodelled_layers", 0), \
        evicted_ms(out)


def evicted_ms(out):
    """What the prediction would be with every layer evicted: each layer's explanation says its
    evicted figure where the cache state moved it (cache_state "...; evicted X us, hot Y us")."""
    total_us = 0
    for layer in out.get("layers", []):
        prediction = layer.get("prediction", {})
        found = re.search(r"evicted ([0-9.e+]+) us", prediction.get("explanation", {}).get("cache_state", ""))
        total_us += float(found.group(1)) if found else prediction.get("latency_us", 0)
    return total_us / 1e3


def run_on_onednn(agent, name, layout, trials=5):
    """The network's layers run back to back on oneDNN by the agent, in `trials` processes of their
    own: the median over them of a pass's median ms, and the largest over the smallest. One process
    is not enough on a VM: the same network's memory-bound layers run up to 2x slower in some
    processes than in others (squeezenet1_1 native: 8.1-13.2 ms over 8 processes, with ASLR off,
    one thread, or pinned to one core alike), while its compute-bound layers do not move."""
    totals, skipped = [], 0
    for _ in range(trials):
        out = subprocess.run([agent, "network", f"tests/fixtures/onnx/{name}.onnx", "--batch", "1", "--layout",
                              layout, "--runs", "20"], check=True, capture_output=True, text=True).stdout
        lines = [line.split("\t") for line in out.splitlines()]
        skipped = sum(1 for line in lines if line[0] == "skipped")
        totals.append(float(lines[0][1]) / 1e3)
    return statistics.median(totals), skipped, max(totals) / min(totals)


def error(predicted, measured):
    return predicted / measured - 1


def main():
    client, agent, server, platform = sys.argv[1:5]
    only = set(sys.argv[5:])
    unknown = only - set(NETWORKS) - set(BROUGHT)
    if unknown:
        sys.exit(f"validate_cpu_networks: unknown network(s) {', '.join(sorted(unknown))}; known: "
                 f"{', '.join(NETWORKS + list(BROUGHT))}")
    torch.set_num_threads(2)
    print(f"PyTorch {torch.__version__} ({torch.get_num_threads()} threads, oneDNN "
          f"{'on' if torch.backends.mkldnn.is_available() else 'off'}), batch 1\n")
    print("| network | predicted native ms | oneDNN run native ms | error | TorchScript ms | error "
          "| predicted nchw ms | oneDNN run nchw ms | error | eager PyTorch ms | error | layers (not modelled, "
          "not run) | all evicted: native / nchw ms (error) | oneDNN runs max/min: native / nchw |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    errors = {key: [] for key in ("native", "deployed", "nchw", "eager")}
    brought = {"native": [], "nchw": []}
    for name, fixture in [(n, n) for n in NETWORKS] + list(BROUGHT.items()):
        if only and name not in only:
            continue
        try:
            native_run_ms, skipped, native_spread = run_on_onednn(agent, fixture, "native")
            nchw_run_ms, _, nchw_spread = run_on_onednn(agent, fixture, "nchw")
        except subprocess.CalledProcessError as failure:  # reported, and the other networks still run
            print(f"| {name} | oneDNN run failed: {failure} |", flush=True)
            continue
        native_ms, layers, unmodelled, native_evicted_ms = predict(client, server, platform, fixture, "native")
        nchw_ms, _, _, nchw_evicted_ms = predict(client, server, platform, fixture, "nchw")
        e = {"native": error(native_ms, native_run_ms), "nchw": error(nchw_ms, nchw_run_ms)}
        all_evicted = (f"{native_evicted_ms:.1f} ({100 * error(native_evicted_ms, native_run_ms):+.0f} %) / "
                       f"{nchw_evicted_ms:.1f} ({100 * error(nchw_evicted_ms, nchw_run_ms):+.0f} %)")
        if name in NETWORKS:
            deployed_ms, eager_ms = measure(name)
            e["deployed"], e["eager"] = error(native_ms, deployed_ms), error(nchw_ms, eager_ms)
            for key, value in e.items():
                errors[key].append(value)
            torch_cells = (f"{deployed_ms:.1f}", f"{100 * e['deployed']:+.0f} %", f"{eager_ms:.1f}",
                           f"{100 * e['eager']:+.0f} %")
        else:
            for key in brought:
                brought[key].append(e[key])
            torch_cells = ("-", "-", "-", "-")
        print(f"| {name} | {native_ms:.1f} | {native_run_ms:.1f} | {100 * e['native']:+.0f} % | {torch_cells[0]} "
              f"| {torch_cells[1]} | {nchw_ms:.1f} | {nchw_run_ms:.1f} | {100 * e['nchw']:+.0f} % | {torch_cells[2]} "
              f"| {torch_cells[3]} | {layers} ({unmodelled}, {skipped}) | {all_evicted} "
              f"| {native_spread:.2f} / {nchw_spread:.2f} |", flush=True)
    if only:
        return  # a subset: means over the nine and the ten would not be what it measured
    mean = {key: 100 * statistics.mean(map(abs, values)) for key, values in errors.items()}
    worst = {key: 100 * max(map(abs, values)) for key, values in errors.items()}
    print(f"\nNine fixtures, mean (largest) absolute error: against the oneDNN runs {mean['native']:.0f} % "
          f"({worst['native']:.0f} %) native and {mean['nchw']:.0f} % ({worst['nchw']:.0f} %) nchw; against "
          f"TorchScript {mean['deployed']:.0f} %, against eager PyTorch {mean['eager']:.0f} %")
    print("Ten brought networks, mean (largest) absolute error against the oneDNN runs: " +
          ", ".join(f"{100 * statistics.mean(map(abs, v)):.0f} % ({100 * max(map(abs, v)):.0f} %) {k}"
                    for k, v in brought.items()))


if __name__ == "__main__":
    main()
