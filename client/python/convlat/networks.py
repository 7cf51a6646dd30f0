"""A network as the request carries it: ONNX bytes without weights, or a layer list.

A model is an ONNX file path, ONNX bytes, a torch.nn.Module with an example input (exported in
memory) or a list of convlat.Conv/convlat.Op layers. Only shapes matter to the server, so float
weights are always stripped before sending (as convlat-client does): a ResNet-50 goes from 100 MB
to a few hundred KB, under the server's 64 MB cap.
"""
from __future__ import annotations

import io
import os
import sys
import warnings
from typing import Any, Optional, Sequence

from convlat.layers import _LAYOUTS, Conv, Op, _enum, layer_to_proto
from convlat.v1 import latency_pb2

# Initializer types that are weights; integer ones may be shapes the server's importer folds.
_WEIGHT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16 (onnx.TensorProto.DataType)


def strip_weights(onnx_bytes: bytes) -> bytes:
    """The model with its float initializers' data dropped (name, type and dims kept).

    Raises ValueError when the bytes are not an ONNX model.
    """
    import onnx  # Debian's python3-onnx; imported here so that layer lists need no onnx

    try:
        with warnings.catch_warnings():  # protobuf warns on some garbage before failing
            warnings.simplefilter("ignore", RuntimeWarning)
            model = onnx.load_model_from_string(onnx_bytes)
    except Exception as error:  # protobuf's DecodeError, or onnx's own
        raise ValueError(f"not an ONNX model (the protobuf does not parse: {error})") from None
    if not model.graph.node and not model.graph.input:
        raise ValueError("not an ONNX model (no graph: empty, truncated or another format?)")
    for tensor in model.graph.initializer:
        if tensor.data_type in _WEIGHT_TYPES:
            for data in ("raw_data", "float_data", "double_data", "int32_data"):
                tensor.ClearField(data)
    return model.SerializeToString()


def export_torch(module: Any, example_input: Any) -> bytes:
    """The module exported to ONNX in memory (eval mode, opset 13), as torch traces it on the input."""
    import torch  # optional: only this path needs it

    if example_input is None:
        raise ValueError("a torch.nn.Module needs example_input (a tensor shaped like the input, e.g. 1x3x224x224)")
    buffer = io.BytesIO()
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad():
            torch.onnx.export(module, example_input, buffer, opset_version=13, do_constant_folding=True,
                              input_names=["input"], output_names=["output"])
    finally:
        module.train(was_training)
    return buffer.getvalue()


def _is_torch_module(model: Any) -> bool:
    torch = sys.modules.get("torch")  # a module exists only if torch was imported: never import it here
    return torch is not None and isinstance(model, torch.nn.Module)


def network_request(model: Any, platform: str, batch: int = 1, example_input: Any = None,
                    layout: str = "") -> latency_pb2.PredictNetworkRequest:
    """The PredictNetworkRequest for one model (see the module docstring for what a model is)."""
    request = latency_pb2.PredictNetworkRequest(platform=platform, batch=batch,
                                                layout=_enum(_LAYOUTS, layout, "layout"))
    if isinstance(model, (bytes, bytearray, memoryview)):
        request.onnx_model = strip_weights(bytes(model))
    elif isinstance(model, (str, os.PathLike)):
        with open(model, "rb") as f:
            request.onnx_model = strip_weights(f.read())
    elif _is_torch_module(model):
        request.onnx_model = strip_weights(export_torch(model, example_input))
    elif isinstance(model, Sequence) and all(isinstance(layer, (Conv, Op)) for layer in model):
        if not model:
            raise ValueError("the layer list is empty")
        request.layers.layers.extend(layer_to_proto(layer) for layer in model)
    else:
        raise TypeError("a model is an ONNX path, ONNX bytes, a torch.nn.Module (with example_input) or a list "
                        f"of convlat.Conv/convlat.Op, not {type(model).__name__}")
    return request


def checked_batch(batch: Optional[int]) -> int:
    if batch is None:
        return 0
    if not isinstance(batch, int) or batch < 0:
        raise ValueError(f"must be a positive integer (or 0: as the network says), got {batch!r}")
    return batch
