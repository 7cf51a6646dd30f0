#!/usr/bin/python3
"""Writes tests/fixtures/onnx/*.onnx: real CNN structures from torchvision, exported with
torch.onnx.export (random weights, batch 1, 224x224), then stripped of their weights so the files
stay small: every float initializer keeps its name, type and dims (all convlat reads) and loses its
data; small integer initializers (Reshape targets and the like) are kept whole.

Needs Debian's python3-torchvision and python3-onnx (torch 1.13, onnx 1.12):
    /usr/bin/python3 scripts/make_onnx_fixtures.py
"""
import io
import os
import sys

import onnx
import torch
import torchvision.models as models

NETWORKS = {
    "resnet18": models.resnet18,
    "resnet50": models.resnet50,
    "mobilenet_v2": models.mobilenet_v2,
    "mobilenet_v3_large": models.mobilenet_v3_large,
    "vgg16": models.vgg16,
    "efficientnet_b0": models.efficientnet_b0,
    "densenet121": models.densenet121,
    "squeezenet1_1": models.squeezenet1_1,
    "shufflenet_v2_x1_0": models.shufflenet_v2_x1_0,
}
OPSET = 13


def strip_weights(model):
    for tensor in model.graph.initializer:
        if tensor.data_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE):
            tensor.ClearField("raw_data")
            tensor.ClearField("float_data")
            tensor.ClearField("double_data")
            tensor.ClearField("int32_data")
    return model


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx")
    os.makedirs(out_dir, exist_ok=True)
    torch.manual_seed(0)
    for name, make in NETWORKS.items():
        net = make(weights=None).eval()
        buffer = io.BytesIO()
        torch.onnx.export(net, torch.randn(1, 3, 224, 224), buffer, opset_version=OPSET,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        model = strip_weights(onnx.load_from_string(buffer.getvalue()))
        path = os.path.join(out_dir, name + ".onnx")
        onnx.save(model, path)
        print(f"{name}: {len(model.graph.node)} nodes, {os.path.getsize(path)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
