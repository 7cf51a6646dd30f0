"""What convlat answers, as plain dataclasses built from the response protos.

`interval` is the 80 % prediction interval (p10_us, p90_us): the layer or network should take between
the two 8 times in 10. `interval_calibrated` says whether it was calibrated on the platform's held-out
measurements (False for spec-roofline estimates, whose bounds are an assumption). None when the server
has no interval for it (a not-modelled layer, a platform with too few measurements).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from convlat.errors import ConvlatError
from convlat.v1 import latency_pb2


def _interval(p10_us: float, p90_us: float) -> Optional[tuple[float, float]]:
    return (p10_us, p90_us) if p10_us > 0 or p90_us > 0 else None


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
    work_mapping_source: str = ""  # kernel_name, launch_grids or latency_fit
    cache_state: str = ""  # in a CPU network: the cache state assumed, e.g. "hot 0.62: weights 48 % cached ..."
    correction: float = 0.0  # the two-mode model's residual correction factor (0: none)
    transfer: str = ""  # set when transferred from other GPUs by their specs
    transferred_from: list[str] = field(default_factory=list)
    transfer_target_layers: int = 0  # the platform's own layers that refined the transfer
    measured: bool = False  # the latency is the platform's own timing of this configuration
    model_us: float = 0.0  # what the fitted model predicts for it, when measured

    @staticmethod
    def from_proto(p: latency_pb2.Explanation) -> "Explanation":
        return Explanation(p.model_kind, p.flops, p.bytes, p.compute_share, p.memory_share, p.kernel_family,
                           p.kernel, p.tile, p.ctas, p.waves, p.work_mapping, p.work_mapping_source,
                           p.cache_state, p.correction, p.transfer, list(p.transferred_from),
                           p.transfer_target_layers, p.measured, p.model_us)


@dataclass
class LayerPrediction:
    latency_us: float
    explanation: Explanation
    interval: Optional[tuple[float, float]] = None  # (p10_us, p90_us)
    interval_calibrated: bool = False

    @staticmethod
    def from_proto(p: latency_pb2.LayerPrediction) -> "LayerPrediction":
        return LayerPrediction(p.latency_us, Explanation.from_proto(p.explanation), _interval(p.p10_us, p.p90_us),
                               p.interval_calibrated)


@dataclass
class NetworkLayer:
    """One row of a network prediction: the layer, its latency and its share of the total."""
    name: str
    op: str
    shape: str
    latency_us: float
    share: float
    explanation: Explanation
    interval: Optional[tuple[float, float]] = None  # (p10_us, p90_us)
    interval_calibrated: bool = False

    @staticmethod
    def from_proto(p: latency_pb2.NetworkLayerPrediction) -> "NetworkLayer":
        return NetworkLayer(p.name, p.op, p.shape, p.prediction.latency_us, p.share,
                            Explanation.from_proto(p.prediction.explanation),
                            _interval(p.prediction.p10_us, p.prediction.p90_us), p.prediction.interval_calibrated)


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
    # (sum of the layers' p10_us, sum of their p90_us): one network's layer errors are correlated.
    interval: Optional[tuple[float, float]] = None
    interval_calibrated: bool = False  # every layer in the total has a calibrated interval

    @staticmethod
    def from_proto(p: latency_pb2.PredictNetworkResponse) -> "NetworkPrediction":
        return NetworkPrediction(p.total_us, [NetworkLayer.from_proto(row) for row in p.layers], list(p.notes),
                                 p.measured_model_us, p.spec_estimated_us, p.spec_estimated_layers,
                                 p.unmodelled_layers, p.total_is_lower_bound, p.model_version,
                                 _interval(p.total_p10_us, p.total_p90_us), p.interval_calibrated)


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
