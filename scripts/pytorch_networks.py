#!/usr/bin/env python3
"""Times torchvision's versions of convlat's fixture networks on a GPU with PyTorch: the framework
side of scripts/gpu-check.sh (docs/gpu-check.md).

Each network is built by name with random weights, in eval mode under no_grad with
cudnn.benchmark=True, at each batch in fp32 (NCHW) and fp16 channels-last; after warm-up (which
also lets cuDNN pick its algorithms) every pass is timed with CUDA events and the median of
--runs passes is written as one CSV row, as soon as it is measured. A network that fails (out of
memory, ...) gets a row with the error and the rest go on.

    python3 pytorch_networks.py --out pytorch.csv [--networks resnet18,...] [--batches 1,32]
                                [--precisions fp32-nchw,fp16-nhwc] [--runs 20] [--warmup 10]
                                [--deadline UNIX_SECONDS]
"""

import argparse
import csv
import statistics
import sys
import time

NETWORKS = [
    "resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_large", "vgg16", "efficientnet_b0", "densenet121",
    "squeezenet1_1", "shufflenet_v2_x1_0"
]
PRECISIONS = ["fp32-nchw", "fp16-nhwc"]
COLUMNS = ["network", "batch", "precision", "median_us", "min_us", "runs", "torch", "cudnn", "device", "error"]


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="CSV to append rows to (header written when new)")
    parser.add_argument("--networks", default=",".join(NETWORKS), help="torchvision model names, comma-separated")
    parser.add_argument("--batches", default="1,32", help="batch sizes, comma-separated")
    parser.add_argument("--precisions", default=",".join(PRECISIONS), help="fp32-nchw and/or fp16-nhwc")
    parser.add_argument("--runs", type=int, default=20, help="timed passes per network (the median is kept)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed passes before timing")
    parser.add_argument("--deadline", type=float, default=0, help="stop starting networks after this UNIX time")
    args = parser.parse_args(argv)
    args.networks = [n for n in args.networks.split(",") if n]
    for name in args.networks:
        if name not in NETWORKS:
            parser.error(f"--networks: unknown network '{name}' (known: {', '.join(NETWORKS)})")
    try:
        args.batches = [int(b) for b in args.batches.split(",") if b]
    except ValueError:
        parser.error(f"--batches: expected integers, got '{args.batches}'")
    args.precisions = [p for p in args.precisions.split(",") if p]
    for precision in args.precisions:
        if precision not in PRECISIONS:
            parser.error(f"--precisions: unknown '{precision}' (known: {', '.join(PRECISIONS)})")
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    return args


def time_network(torch, model, batch, precision, runs, warmup):
    """Median and minimum of `runs` passes in microseconds, each timed with CUDA events."""
    dtype = torch.float16 if precision == "fp16-nhwc" else torch.float32
    memory_format = torch.channels_last if precision == "fp16-nhwc" else torch.contiguous_format
    # In place: the network's one copy goes on in the next precision.
    model = model.to(device="cuda", dtype=dtype, memory_format=memory_format).eval()
    x = torch.randn(batch, 3, 224, 224, device="cuda", dtype=dtype).contiguous(memory_format=memory_format)
    times = []
    with torch.no_grad():
        for _ in range(warmup):
            model(x)
        torch.cuda.synchronize()
        for _ in range(runs):
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            model(x)
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end) * 1000.0)  # ms -> us
    return statistics.median(times), min(times)


def main(argv):
    args = parse_args(argv)
    try:
        import torch  # pylint: disable=import-outside-toplevel
        import torchvision  # pylint: disable=import-outside-toplevel
    except ImportError as error:
        print(f"pytorch_networks: needs torch and torchvision in this python ({sys.executable}): {error}",
              file=sys.stderr)
        return 3

    if not torch.cuda.is_available():
        print("pytorch_networks: torch sees no CUDA device", file=sys.stderr)
        return 3
    torch.backends.cudnn.benchmark = True
    device = torch.cuda.get_device_name(0)
    cudnn = str(torch.backends.cudnn.version())
    with open(args.out, "a", newline="") as out:
        writer = csv.writer(out)
        if out.tell() == 0:
            writer.writerow(COLUMNS)
        for name in args.networks:
            model = None
            for precision in args.precisions:
                for batch in args.batches:
                    if args.deadline and time.time() > args.deadline:
                        print(f"pytorch_networks: out of time before {name} b{batch} {precision}", file=sys.stderr)
                        return 124
                    row = {"network": name, "batch": batch, "precision": precision, "runs": args.runs,
                           "torch": torch.__version__, "cudnn": cudnn, "device": device}
                    try:
                        if model is None:
                            model = torchvision.models.get_model(name, weights=None)
                        row["median_us"], row["min_us"] = (
                            f"{t:.1f}" for t in time_network(torch, model, batch, precision, args.runs, args.warmup))
                    except Exception as error:  # pylint: disable=broad-except
                        row["error"] = f"{type(error).__name__}: {error}".replace("\n", " ")[:300]
                    finally:
                        torch.cuda.empty_cache()
                    writer.writerow([row.get(column, "") for column in COLUMNS])
                    out.flush()
                    print(f"pytorch {name} b{batch} {precision}: {row.get('median_us') or row['error']}",
                          file=sys.stderr)
            del model
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
