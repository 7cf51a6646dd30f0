#!/usr/bin/python3
"""Throughput of the Python client against a real server (a benchmark, not a test; docs/performance.md).

Starts convlat-server seeded with gpu-t4 (tests/client_python/convlat_server.py), then measures:
single-layer Predict calls/s (one call after another, and from 4 threads), layers/s in one Predict
call, and candidate networks/s through predict_networks (NAS layer-list candidates from
examples/nas_optuna.py, and the mobilenet_v2 ONNX fixture).

    cmake --build build --target convlat_python convlat-server
    PYTHONPATH=build/client/python /usr/bin/python3 client/python/bench/throughput.py
"""
from __future__ import annotations

import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("CONVLAT_SOURCE_DIR", SOURCE_DIR)
os.environ.setdefault("CONVLAT_BINARY_DIR", os.path.join(SOURCE_DIR, "build"))
sys.path[:0] = [os.path.join(SOURCE_DIR, "tests", "client_python"), os.path.join(SOURCE_DIR, "examples")]

import optuna  # noqa: E402

import convlat  # noqa: E402
import nas_optuna  # noqa: E402
from convlat_server import PLATFORM, ConvlatServer  # noqa: E402


def rate(count: int, seconds: float) -> str:
    per_second = count / seconds
    shown = f"{per_second:,.0f}" if per_second >= 10 else f"{per_second:.2f}"
    return f"{shown}/s ({count} in {seconds:.2f} s)"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def candidates(count: int) -> list:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    return [nas_optuna.as_layers(nas_optuna.sample(study.ask())) for _ in range(count)]


def main() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    server = ConvlatServer()
    try:
        client = convlat.Client(server.address)
        rng = random.Random(0)
        layers = [convlat.Conv(c=rng.choice([16, 32, 64, 128]), h=rng.choice([14, 28, 56]), w=28,
                               k=rng.choice([32, 64, 128]), r=rng.choice([1, 3, 5])) for _ in range(2000)]
        client.predict(layers[:10], PLATFORM)  # warm the channel
        n = 2000
        print("Predict, one layer per call, sequential:", rate(n, timed(lambda: [client.predict([l], PLATFORM)
                                                                                for l in layers[:n]])))
        with ThreadPoolExecutor(4) as pool:
            seconds = timed(lambda: list(pool.map(lambda l: client.predict([l], PLATFORM), layers * 2)))
        print("Predict, one layer per call, 4 threads:", rate(2 * len(layers), seconds))
        def pipelined(in_flight: int = 32) -> None:
            pending = []
            for layer in layers * 2:
                pending.append(client.predict_async([layer], PLATFORM))
                if len(pending) >= in_flight:
                    pending.pop(0).result()
            for call in pending:
                call.result()
        print("Predict, one layer per call, predict_async, 32 in flight:", rate(2 * len(layers), timed(pipelined)))
        print("Predict, 1000 layers per call:", "layers", rate(10_000, timed(
            lambda: [client.predict(layers[i * 100:i * 100 + 1000], PLATFORM) for i in range(10)])))

        nets = candidates(100)
        client.predict_networks(nets[:5], PLATFORM)
        for size in (20, 100):
            rounds = 500 // size
            seconds = timed(lambda: [client.predict_networks(nets[:size], PLATFORM) for _ in range(rounds)])
            print(f"predict_networks, {size} NAS layer-list candidates per call:", rate(rounds * size, seconds))
        path = os.path.join(SOURCE_DIR, "tests", "fixtures", "onnx", "mobilenet_v2.onnx")
        with open(path, "rb") as f:
            onnx_bytes = f.read()
        seconds = timed(lambda: [client.predict_networks([onnx_bytes] * 20, PLATFORM) for _ in range(5)])
        print("predict_networks, mobilenet_v2 ONNX bytes, 20 per call (stripping included):", rate(100, seconds))
        if nas_optuna.torch_available():
            import torch
            example = torch.randn(1, 3, 224, 224)
            study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=2))
            modules = [nas_optuna.as_torch(nas_optuna.sample(study.ask())) for _ in range(10)]
            seconds = timed(lambda: client.predict_networks(modules, PLATFORM, example_input=example))
            print("predict_networks, 10 torch candidates (ONNX export included):", rate(10, seconds))
        client.close()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
