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
from typing import Any, BinaryIO, Optional, Sequence

from convlat.layers import _LAYOUTS, Conv, Op, _enum, layer_to_proto
from convlat.v1 import latency_pb2

# Initializer types that are weights; integer ones may be shapes the server's importer folds.
_WEIGHT_TYPES = {1, 10, 11, 16}  # FLOAT, FLOAT16, DOUBLE, BFLOAT16 (onnx.TensorProto.DataType)


# Field numbers of onnx.proto: ModelProto.graph, GraphProto.initializer, TensorProto's type and data.
_MODEL_GRAPH, _GRAPH_INITIALIZER, _TENSOR_DATA_TYPE = 7, 5, 2
_TENSOR_DATA = {4, 5, 9, 10}  # float_data, int32_data (float16/bfloat16 values), raw_data, double_data


class _Truncated(ValueError):
    pass


def _read_varint(stream: BinaryIO) -> int:
    value, shift = 0, 0
    while True:
        byte = stream.read(1)
        if not byte:
            raise _Truncated("ends inside a field")
        value |= (byte[0] & 0x7F) << shift
        if byte[0] < 0x80:
            return value
        shift += 7
        if shift > 63:
            raise ValueError("a varint longer than 10 bytes")


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise _Truncated("ends inside a field")
    return data


def _copy_message(stream: BinaryIO, end: int, nested: dict, tensor: bool = False) -> bytes:
    """The fields of one message up to offset `end`, length-delimited ones in `nested` rewritten
    by their function; in a tensor, float data after a float data_type is seeked over."""
    out, data_type = bytearray(), None
    while stream.tell() < end:
        tag = _read_varint(stream)
        field, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value = _read_varint(stream)
            if tensor and field == _TENSOR_DATA_TYPE:
                data_type = value
            if not (tensor and field in _TENSOR_DATA and data_type in _WEIGHT_TYPES):  # unpacked float16 data
                out += _varint(tag) + _varint(value)
        elif wire_type in (1, 5):
            value = _read(stream, 8 if wire_type == 1 else 4)
            if not (tensor and field in _TENSOR_DATA and data_type in _WEIGHT_TYPES):  # unpacked float data
                out += _varint(tag) + value
        elif wire_type == 2:
            size = _read_varint(stream)
            if tensor and field in _TENSOR_DATA and data_type in _WEIGHT_TYPES:
                stream.seek(size, io.SEEK_CUR)  # the weights: never read
            elif field in nested:
                body = nested[field](stream, stream.tell() + size)
                out += _varint(tag) + _varint(len(body)) + body
            else:
                out += _varint(tag) + _varint(size) + _read(stream, size)
        else:
            raise ValueError(f"wire type {wire_type}")
    if stream.tell() != end:
        raise _Truncated("a field runs past the message that holds it")
    return bytes(out)


def _copy_initializer(stream: BinaryIO, end: int) -> bytes:
    return _copy_message(stream, end, {}, tensor=True)


def _copy_graph(stream: BinaryIO, end: int) -> bytes:
    return _copy_message(stream, end, {_GRAPH_INITIALIZER: _copy_initializer})


def strip_weights(model: Any) -> bytes:
    """The model (ONNX bytes, or a binary file opened for reading) with its float initializers'
    data dropped: name, type and dims kept, integer initializers (shapes) whole. A file streams
    past: its weights are seeked over, never read, so a 500 MB export costs no memory. Exporters
    write a tensor's data_type before its data; data met before it is kept.

    Raises ValueError when the input is not an ONNX model, or is cut short.
    """
    import onnx  # Debian's python3-onnx; imported here so that layer lists need no onnx

    stream = io.BytesIO(model) if isinstance(model, (bytes, bytearray, memoryview)) else model
    start = stream.tell()
    size = stream.seek(0, io.SEEK_END) - start
    stream.seek(start)
    try:
        stripped = _copy_message(stream, start + size, {_MODEL_GRAPH: _copy_graph})
    except _Truncated as error:
        raise ValueError(f"not an ONNX model (truncated: it {error})") from None
    except ValueError as error:
        raise ValueError(f"not an ONNX model (the protobuf does not parse: {error})") from None
    try:
        with warnings.catch_warnings():  # protobuf warns on some garbage before failing
            warnings.simplefilter("ignore", RuntimeWarning)
            parsed = onnx.load_model_from_string(stripped)
    except Exception as error:  # protobuf's DecodeError, or onnx's own
        raise ValueError(f"not an ONNX model (the protobuf does not parse: {error})") from None
    if not parsed.graph.node and not parsed.graph.input:
        raise ValueError("not an ONNX model (no graph: empty, truncated or another format?)")
    return stripped


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
            request.onnx_model = strip_weights(f)
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
