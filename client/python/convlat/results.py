"""What convlat answers, as plain dataclasses built from the response protos.

There are no prediction intervals in the API yet: `interval` is always None until the server sends one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from convlat.errors import ConvlatError
from convlat.v1 import latency_pb2


@dataclass
class Explanation:
    """Why the model predicts what it predicts (the server's Explanation, field for field)."""
    model_kind: str = ""
    flops: float = 0.0
    bytes: float = 0.0
    compute_share: float = 0.0
    memory_share: float = 0.0
    kernel_family: str = ""
    kernel: str = ""
    tile: str = ""
    ctas: int = 0
    waves: int = 0
    work_mapping: str = ""

    @staticmethod
    def from_proto(p: latency_pb2.Explanation) -> "Explanation":
        return Explanation(p.model_kind, p.flops, p.bytes, p.compute_share, p.memory_share, p.kernel_family,
                           p.kernel, p.tile, p.ctas, p.waves, p.work_mapping)


@dataclass
class LayerPrediction:
    latency_us: float
    explanation: Explanation
    interval: Optional[tuple[float, float]] = None  # not in the API yet

    @staticmethod
    def from_proto(p: latency_pb2.LayerPrediction) -> "LayerPrediction":
        return LayerPrediction(p.latency_us, Explanation.from_proto(p.explanation))


@dataclass
class NetworkLayer:
    """One row of a network prediction: the layer, its latency and its share of the total."""
    name: str
    op: str
    shape: str
    latency_us: float
    share: float
    explanation: Explanation

    @staticmethod
    def from_proto(p: latency_pb2.NetworkLayerPrediction) -> "NetworkLayer":
        return NetworkLayer(p.name, p.op, p.shape, p.prediction.latency_us, p.share,
                            Explanation.from_proto(p.prediction.explanation))


@dataclass
class NetworkPrediction:
    """A whole network: total_us = measured_model_us + spec_estimated_us, and where it comes from.

    total_is_lower_bound is set when unmodelled_layers (0 µs, nothing known of them) were left out.
    """
    total_us: float
    layers: list[NetworkLayer]
    notes: list[str]
    measured_model_us: float
    spec_estimated_us: float
    spec_estimated_layers: int
    unmodelled_layers: int
    total_is_lower_bound: bool
    model_version: int
    interval: Optional[tuple[float, float]] = None  # not in the API yet

    @staticmethod
    def from_proto(p: latency_pb2.PredictNetworkResponse) -> "NetworkPrediction":
        return NetworkPrediction(p.total_us, [NetworkLayer.from_proto(row) for row in p.layers], list(p.notes),
                                 p.measured_model_us, p.spec_estimated_us, p.spec_estimated_layers,
                                 p.unmodelled_layers, p.total_is_lower_bound, p.model_version)


@dataclass
class NetworkResult:
    """One network of predict_networks: its prediction, or the error that network alone got."""
    prediction: Optional[NetworkPrediction] = None
    error: Optional[ConvlatError] = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class PlatformSummary:
    """A platform the server knows, and whether its model is fitted yet."""
    name: str
    kind: str  # "gpu", "cpu" or ""
    device_name: str
    library: str
    sample_count: int
    model_ready: bool
    details: dict = field(default_factory=dict)  # the rest of the Platform message, by field name

    @staticmethod
    def from_proto(p: latency_pb2.PlatformSummary) -> "PlatformSummary":
        platform = p.platform
        kind = {1: "gpu", 2: "cpu"}.get(platform.kind, "")
        shown = ("name", "kind", "device_name", "library")
        details = {f.name: v for f, v in platform.ListFields() if f.name not in shown}
        return PlatformSummary(platform.name, kind, platform.device_name, platform.library, p.sample_count,
                               p.model_ready, details)
