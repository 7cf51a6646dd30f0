#!/usr/bin/python3
"""Optuna searches a MobileNetV2-like space for the largest network under a latency budget.

The space: a width multiplier, and per stage a kernel size (3/5/7), an expansion (3/6) and a depth.
"Largest" is the most parameters. Each round asks Optuna for --batch candidates, scores them all
with one predict_networks call on the chosen platform, and tells Optuna: candidates over the budget
score by how far over they are, so the search learns the boundary.

Candidates are built as torch modules (exported to ONNX in memory, weights stripped) when PyTorch is
installed, else, or with --builder layers, directly as layer lists (1x1 expand, kxk depthwise and
1x1 project convolutions plus residual adds; activations fuse into the convolutions, as the server
fuses them in ONNX graphs).

    examples/nas_optuna.py --server 127.0.0.1:50051 --platform gpu-t4 --budget_ms 2 --trials 60
    (PYTHONPATH=build/client/python, where the build puts the convlat package)
"""
from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass

import optuna

import convlat

# MobileNetV2's stages after the stem: (output channels, stride, its depth); the first keeps t=1, k=3.
STAGES = [(24, 2, 2), (32, 2, 3), (64, 2, 4), (96, 1, 3), (160, 2, 3), (320, 1, 1)]
WIDTHS = [0.35, 0.5, 0.75, 1.0, 1.25, 1.4]
RESOLUTION = 224


def channels(c: float) -> int:
    """Rounded to a multiple of 8, as MobileNetV2 does."""
    return max(8, int(c + 4) // 8 * 8)


@dataclass
class Block:
    c_in: int
    c_out: int
    expansion: int
    kernel: int
    stride: int


@dataclass
class Architecture:
    stem: int
    blocks: list[Block]
    last: int

    def parameters(self) -> int:
        """Weights of the convolutions and the classifier (batch norms fold into the convolutions)."""
        count = 3 * 9 * self.stem + self.last * 1000 + 1000
        for b in self.blocks:
            hidden = b.c_in * b.expansion
            count += (b.c_in * hidden if b.expansion != 1 else 0) + hidden * b.kernel ** 2 + hidden * b.c_out
        return count + self.blocks[-1].c_out * self.last


def sample(trial: optuna.Trial) -> Architecture:
    width = trial.suggest_categorical("width", WIDTHS)
    stem = channels(32 * width)
    blocks = [Block(stem, channels(16 * width), 1, 3, 1)]
    for i, (c, stride, base_depth) in enumerate(STAGES):
        kernel = trial.suggest_categorical(f"kernel{i}", [3, 5, 7])
        expansion = trial.suggest_categorical(f"expansion{i}", [3, 6])
        depth = trial.suggest_int(f"depth{i}", 1, base_depth + 1)
        for j in range(depth):
            blocks.append(Block(blocks[-1].c_out, channels(c * width), expansion, kernel, stride if j == 0 else 1))
    return Architecture(stem, blocks, channels(1280 * max(1.0, width)))


def as_layers(arch: Architecture) -> list:
    """The network as convlat layers: what a runtime executes once batch norms and activations fuse."""
    layers = [convlat.Conv(c=3, h=RESOLUTION, w=RESOLUTION, k=arch.stem, r=3, stride=2, pad=1, name="stem")]
    size = RESOLUTION // 2
    for i, b in enumerate(arch.blocks):
        hidden = b.c_in * b.expansion
        if b.expansion != 1:
            layers.append(convlat.Conv(c=b.c_in, h=size, w=size, k=hidden, name=f"block{i}.expand"))
        dw = convlat.Conv(c=hidden, h=size, w=size, k=hidden, r=b.kernel, stride=b.stride, pad=b.kernel // 2,
                          groups=hidden, name=f"block{i}.depthwise")
        layers.append(dw)
        size = dw.out_hw()[0]
        layers.append(convlat.Conv(c=hidden, h=size, w=size, k=b.c_out, name=f"block{i}.project"))
        if b.stride == 1 and b.c_in == b.c_out:
            layers.append(convlat.Op("binary", c=b.c_out, h=size, w=size, function="add", name=f"block{i}.add"))
    layers.append(convlat.Conv(c=arch.blocks[-1].c_out, h=size, w=size, k=arch.last, name="last"))
    layers.append(convlat.Op("avg_pool", c=arch.last, h=size, w=size, kernel=size, name="pool"))
    layers.append(convlat.Conv(c=arch.last, h=1, w=1, k=1000, name="classifier"))
    return layers


def as_torch(arch: Architecture):
    """The same network as a torch.nn.Module (batch norms and ReLU6 included, as a user writes it)."""
    from torch import nn

    class InvertedResidual(nn.Module):
        def __init__(self, b: Block):
            super().__init__()
            hidden = b.c_in * b.expansion
            parts = [] if b.expansion == 1 else [nn.Conv2d(b.c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden),
                                                 nn.ReLU6()]
            parts += [nn.Conv2d(hidden, hidden, b.kernel, b.stride, b.kernel // 2, groups=hidden, bias=False),
                      nn.BatchNorm2d(hidden), nn.ReLU6(), nn.Conv2d(hidden, b.c_out, 1, bias=False),
                      nn.BatchNorm2d(b.c_out)]
            self.body = nn.Sequential(*parts)
            self.residual = b.stride == 1 and b.c_in == b.c_out

        def forward(self, x):
            return x + self.body(x) if self.residual else self.body(x)

    return nn.Sequential(nn.Conv2d(3, arch.stem, 3, 2, 1, bias=False), nn.BatchNorm2d(arch.stem), nn.ReLU6(),
                         *[InvertedResidual(b) for b in arch.blocks],
                         nn.Conv2d(arch.blocks[-1].c_out, arch.last, 1, bias=False), nn.BatchNorm2d(arch.last),
                         nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(arch.last, 1000))


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def search(client: convlat.Client, platform: str, budget_us: float, trials: int, batch: int, builder: str,
           seed: int = 0) -> optuna.Study:
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed))
    example_input = None
    if builder == "torch":
        import torch
        example_input = torch.randn(1, 3, RESOLUTION, RESOLUTION)
    done = 0
    while done < trials:
        asked = [study.ask() for _ in range(min(batch, trials - done))]
        archs = [sample(t) for t in asked]
        models = [as_torch(a) if builder == "torch" else as_layers(a) for a in archs]
        results = client.predict_networks(models, platform, batch=1, example_input=example_input)
        for trial, arch, result in zip(asked, archs, results):
            if not result.ok:
                print(f"trial {trial.number}: {result.error}", file=sys.stderr)
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                continue
            latency = result.prediction.total_us
            trial.set_user_attr("latency_us", latency)
            trial.set_user_attr("parameters", arch.parameters())
            # Under the budget: the parameter count (millions); over: negative, by how far over.
            score = arch.parameters() / 1e6 if latency <= budget_us else -math.log(latency / budget_us)
            study.tell(trial, score)
        done += len(asked)
    return study


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--platform", required=True)
    parser.add_argument("--budget_ms", type=float, required=True, help="latency budget at batch 1")
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--batch", type=int, default=20, help="candidates scored per predict_networks call")
    parser.add_argument("--builder", choices=["torch", "layers"], default=None,
                        help="how candidates are built (default: torch when installed, else layers)")
    args = parser.parse_args(argv)
    if args.trials < 1 or args.batch < 1 or args.budget_ms <= 0:
        parser.error("--trials and --batch must be >= 1, --budget_ms > 0")
    builder = args.builder or ("torch" if torch_available() else "layers")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with convlat.Client(args.server) as client:
        try:
            if not any(p.name == args.platform for p in client.platforms()):
                print(f"nas_optuna: --platform {args.platform}: the server has no such platform", file=sys.stderr)
                return 1
            study = search(client, args.platform, args.budget_ms * 1e3, args.trials, args.batch, builder)
        except convlat.ConvlatError as error:
            print(f"nas_optuna: {error}", file=sys.stderr)
            return 1
    feasible = [t for t in study.trials if t.value is not None and t.value > 0]
    print(f"{len(study.trials)} trials ({builder} candidates), {len(feasible)} under {args.budget_ms} ms "
          f"on {args.platform}")
    if not feasible:
        print("no candidate under the budget: raise --budget_ms or run more --trials")
        return 0
    best = max(feasible, key=lambda t: t.value)
    print(f"best: trial {best.number}, {best.user_attrs['parameters'] / 1e6:.2f} M parameters, "
          f"{best.user_attrs['latency_us'] / 1e3:.3f} ms predicted")
    print("  " + ", ".join(f"{k}={v}" for k, v in sorted(best.params.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
