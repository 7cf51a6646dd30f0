"""convlat: CNN latency predictions from a convlat-server, for NAS controllers and tools.

    import convlat
    client = convlat.Client("127.0.0.1:50051")
    total = client.predict_network("resnet18.onnx", platform="gpu-t4").total_us
"""
from convlat.client import Client, PendingPrediction
from convlat.errors import ConvlatError
from convlat.layers import OP_KINDS, Conv, Op
from convlat.networks import strip_weights
from convlat.results import (Explanation, LayerPrediction, NetworkLayer, NetworkPrediction, NetworkResult,
                             PlatformSummary)

__all__ = ["Client", "PendingPrediction", "ConvlatError", "Conv", "Op", "OP_KINDS", "strip_weights", "Explanation", "LayerPrediction",
           "NetworkLayer", "NetworkPrediction", "NetworkResult", "PlatformSummary"]
