"""Layers as plain dataclasses: a convolution (Conv) or another op (Op), and their protos."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from convlat.v1 import latency_pb2, types_pb2

_LAYOUTS = {"": 0, "nchw": 1, "nhwc": 2, "native": 3}
_DTYPES = {"": 0, "fp32": 1, "fp16": 2, "bf16": 3, "int8": 4}
OP_KINDS = ("max_pool", "avg_pool", "activation", "binary", "concat", "softmax", "resize", "batch_norm", "copy")


def _enum(table: dict, value: str, what: str) -> int:
    if value.lower() not in table:
        raise ValueError(f"{what} '{value}' is not one of {', '.join(k for k in table if k)}")
    return table[value.lower()]


@dataclass
class Conv:
    """One 2-D convolution: input n x c x h x w, k output channels, an r x s filter."""
    c: int
    h: int
    w: int
    k: int
    r: int = 1
    s: int = 0  # 0: square, = r
    stride: int = 1
    pad: int = 0
    groups: int = 1
    dilation: int = 1
    n: int = 1
    dtype: str = ""
    layout: str = ""
    name: str = ""

    def to_proto(self) -> types_pb2.ConvParams:
        return types_pb2.ConvParams(
            n=self.n, c=self.c, h=self.h, w=self.w, k=self.k, r=self.r, s=self.s or self.r,
            stride_h=self.stride, stride_w=self.stride, pad_h=self.pad, pad_w=self.pad,
            dilation_h=self.dilation, dilation_w=self.dilation, groups=self.groups,
            dtype=_enum(_DTYPES, self.dtype, "dtype"), layout=_enum(_LAYOUTS, self.layout, "layout"))

    def out_hw(self) -> tuple[int, int]:
        """The output's height and width (what the next layer reads)."""
        s = self.s or self.r
        out_h = (self.h + 2 * self.pad - self.dilation * (self.r - 1) - 1) // self.stride + 1
        out_w = (self.w + 2 * self.pad - self.dilation * (s - 1) - 1) // self.stride + 1
        return out_h, out_w


@dataclass
class Op:
    """Another layer: pooling, an activation (function "relu", ...), binary ("add", ...), concat, ...

    `kind` is one of OP_KINDS; 0 fields take the server's defaults (stride 1, padding 0, 2 inputs).
    """
    kind: str
    c: int
    h: int
    w: int
    n: int = 1
    function: str = ""
    kernel: int = 0
    stride: int = 0
    pad: int = 0
    out_h: int = 0
    out_w: int = 0
    inputs: int = 0
    broadcast: bool = False
    dtype: str = ""
    layout: str = ""
    name: str = ""

    def to_proto(self) -> types_pb2.OpParams:
        if self.kind not in OP_KINDS:
            raise ValueError(f"kind '{self.kind}' is not one of {', '.join(OP_KINDS)}")
        return types_pb2.OpParams(
            kind=types_pb2.OpKind.Value("OP_KIND_" + self.kind.upper()), n=self.n, c=self.c, h=self.h, w=self.w,
            kernel_h=self.kernel, kernel_w=self.kernel, stride_h=self.stride, stride_w=self.stride,
            pad_h=self.pad, pad_w=self.pad, out_h=self.out_h, out_w=self.out_w, inputs=self.inputs,
            broadcast=self.broadcast, function=self.function, dtype=_enum(_DTYPES, self.dtype, "dtype"),
            layout=_enum(_LAYOUTS, self.layout, "layout"))


Layer = Union[Conv, Op]


def layer_to_proto(layer: Layer) -> latency_pb2.LayerList.Layer:
    """A LayerList.Layer holding the conv or the op."""
    if isinstance(layer, Conv):
        return latency_pb2.LayerList.Layer(name=layer.name, conv=layer.to_proto())
    if isinstance(layer, Op):
        return latency_pb2.LayerList.Layer(name=layer.name, op=layer.to_proto())
    raise TypeError(f"a layer is a convlat.Conv or a convlat.Op, not {type(layer).__name__}")
