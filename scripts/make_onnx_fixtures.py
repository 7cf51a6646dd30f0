#!/usr/bin/python3
"""Writes tests/fixtures/onnx/*.onnx: real vision networks from torchvision, exported with
torch.onnx.export (random weights), then stripped of their weights so the files stay small: every
float initializer keeps its name, type and dims (all convlat reads) and loses its data; small
integer initializers (Reshape targets and the like) are kept whole.

The first nine are exported with a dynamic batch (dynamic_axes) at opset 13. The others are
exported as a new user would (torch.onnx.export's defaults: static shapes, opset 14) unless their
entry says otherwise: ConvNeXt also at opset 17 (LayerNormalization as one node; opset 11
decomposes it), Swin-T at opset 17, ResNet-50 with batch, height and width all dynamic (what
--input is for).

Needs Debian's python3-torchvision and python3-onnx (torch 1.13, onnx 1.12):
    /usr/bin/python3 scripts/make_onnx_fixtures.py [NAME ...]     # all of them without names
"""
import io
import os
import sys

import onnx
import torch
import torchvision.models as models
import torchvision.models.segmentation as segmentation


class SegmentationOut(torch.nn.Module):
    """torchvision's segmentation models return a dict; the export wants the tensor."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)["out"]


DYNAMIC_BATCH = {"input": {0: "batch"}, "logits": {0: "batch"}}
DYNAMIC_ALL = {"input": {0: "batch", 2: "height", 3: "width"}, "logits": {0: "batch"}}

# name: (factory, input side, opset, dynamic_axes)
NETWORKS = {
    "resnet18": (models.resnet18, 224, 13, DYNAMIC_BATCH),
    "resnet50": (models.resnet50, 224, 13, DYNAMIC_BATCH),
    "mobilenet_v2": (models.mobilenet_v2, 224, 13, DYNAMIC_BATCH),
    "mobilenet_v3_large": (models.mobilenet_v3_large, 224, 13, DYNAMIC_BATCH),
    "vgg16": (models.vgg16, 224, 13, DYNAMIC_BATCH),
    "efficientnet_b0": (models.efficientnet_b0, 224, 13, DYNAMIC_BATCH),
    "densenet121": (models.densenet121, 224, 13, DYNAMIC_BATCH),
    "squeezenet1_1": (models.squeezenet1_1, 224, 13, DYNAMIC_BATCH),
    "shufflenet_v2_x1_0": (models.shufflenet_v2_x1_0, 224, 13, DYNAMIC_BATCH),
    "vit_b_16": (models.vit_b_16, 224, 14, None),
    "swin_t": (models.swin_t, 224, 17, None),
    "deeplabv3_mobilenet_v3_large": (
        lambda weights: SegmentationOut(segmentation.deeplabv3_mobilenet_v3_large(weights=weights,
                                                                                   weights_backbone=None)),
        520, 14, None),
    "fcn_resnet50": (
        lambda weights: SegmentationOut(segmentation.fcn_resnet50(weights=weights, weights_backbone=None)),
        520, 14, None),
    "convnext_tiny_opset11": (models.convnext_tiny, 224, 11, None),
    # Calibration networks (`convlat-agent calibrate`, scripts/validate_cpu_networks.sh --calibrate):
    # none of them is among the networks validated, so the fitted factor is not tuned to those.
    "resnet34": (models.resnet34, 224, 14, None),
    "mobilenet_v3_small": (models.mobilenet_v3_small, 224, 14, None),
    "regnet_x_400mf": (models.regnet_x_400mf, 224, 14, None),
    "convnext_tiny_opset17": (models.convnext_tiny, 224, 17, None),
    "googlenet": (lambda weights: models.googlenet(weights=weights, aux_logits=False, init_weights=False), 224, 14,
                  None),
    "inception_v3": (lambda weights: models.inception_v3(weights=weights, aux_logits=False, init_weights=False), 299,
                     14, None),
    "regnet_y_400mf": (models.regnet_y_400mf, 224, 14, None),
    "efficientnet_b3": (models.efficientnet_b3, 300, 14, None),
    "resnet50_dynamic": (models.resnet50, 224, 14, DYNAMIC_ALL),
    "resnext50_32x4d": (models.resnext50_32x4d, 224, 14, None),
    "mnasnet1_0": (models.mnasnet1_0, 224, 14, None),
}


FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE)


def clear_data(tensor):
    for field in ("raw_data", "float_data", "double_data", "int32_data"):
        tensor.ClearField(field)


def strip_weights(model):
    for tensor in model.graph.initializer:
        if tensor.data_type in FLOAT_TYPES:
            clear_data(tensor)
    # Constant nodes holding float tensors larger than a shape (Swin's attention masks and
    # relative position biases): their dims are all shape inference reads.
    for node in model.graph.node:
        if node.op_type != "Constant":
            continue
        for attribute in node.attribute:
            if attribute.name == "value" and attribute.t.data_type in FLOAT_TYPES and len(attribute.t.dims) > 0:
                elements = 1
                for d in attribute.t.dims:
                    elements *= d
                if elements > 64:
                    clear_data(attribute.t)
    return model


# Fixtures whose value names (not node names, which errors quote) are shortened to v0, v1, ...:
# Swin-T's 6,333 nodes of long names would make a 1.3 MB file; 0.57 MB this way.
SHORT_VALUE_NAMES = {"swin_t"}


def shorten_value_names(model):
    graph = model.graph
    keep = {v.name for v in graph.input} | {v.name for v in graph.output}
    names = {}

    def short(name):
        if not name or name in keep:
            return name
        return names.setdefault(name, "v%x" % len(names))

    for tensor in graph.initializer:
        tensor.name = short(tensor.name)
    for node in graph.node:
        for i, name in enumerate(node.input):
            node.input[i] = short(name)
        for i, name in enumerate(node.output):
            node.output[i] = short(name)
    for value in graph.value_info:
        value.name = short(value.name)
    return model


def main():
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "onnx")
    os.makedirs(out_dir, exist_ok=True)
    names = sys.argv[1:] or list(NETWORKS)
    for name in names:
        make, side, opset, dynamic_axes = NETWORKS[name]
        torch.manual_seed(0)
        net = make(weights=None).eval()
        buffer = io.BytesIO()
        torch.onnx.export(net, torch.randn(1, 3, side, side), buffer, opset_version=opset,
                          input_names=["input"], output_names=["logits"], dynamic_axes=dynamic_axes)
        model = strip_weights(onnx.load_from_string(buffer.getvalue()))
        if name in SHORT_VALUE_NAMES:
            model = shorten_value_names(model)
        path = os.path.join(out_dir, name + ".onnx")
        onnx.save(model, path)
        print(f"{name}: opset {opset}, {len(model.graph.node)} nodes, {os.path.getsize(path)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
