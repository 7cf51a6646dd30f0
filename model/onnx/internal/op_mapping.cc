#include "model/onnx/internal/op_mapping.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "convlat/v1/types.pb.h"
#include "model/layers/op_params.h"
#include "model/onnx/internal/conv_mapping.h"
#include "model/onnx/internal/op_dims.h"

namespace convlat::model::onnx_internal {
namespace {

// One output element per input element, a few operations each.
const absl::flat_hash_set<std::string>& ElementwiseOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{"Relu",
                                                                "LeakyRelu",
                                                                "PRelu",
                                                                "Clip",
                                                                "Sigmoid",
                                                                "HardSigmoid",
                                                                "HardSwish",
                                                                "Tanh",
                                                                "Elu",
                                                                "Selu",
                                                                "Erf",
                                                                "Exp",
                                                                "Log",
                                                                "Sqrt",
                                                                "Reciprocal",
                                                                "Neg",
                                                                "Abs",
                                                                "Cast",
                                                                "Add",
                                                                "Sub",
                                                                "Mul",
                                                                "Div",
                                                                "Pow",
                                                                "Max",
                                                                "Min",
                                                                "Sum",
                                                                "Mean",
                                                                "Where",
                                                                "Not",
                                                                "Equal",
                                                                "Less",
                                                                "Greater",
                                                                "Softplus",
                                                                "Mish",
                                                                "Gelu",
                                                                "BatchNormalization",
                                                                "InstanceNormalization",
                                                                "LayerNormalization"};
  return *ops;
}
// Read everything, write everything, little arithmetic.
const absl::flat_hash_set<std::string>& DataMovementOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Concat", "Split",  "Slice",        "Pad",          "Transpose", "Resize",          "Upsample",      "Tile",
      "Expand", "Gather", "DepthToSpace", "SpaceToDepth", "ScatterND", "ScatterElements", "GatherElements"};
  return *ops;
}
// Each output element reads a window (or all) of the input.
const absl::flat_hash_set<std::string>& ReducingOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "MaxPool",   "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool",     "ReduceMean", "ReduceSum",
      "ReduceMax", "ReduceMin",   "ReduceL2",          "Softmax",       "LogSoftmax", "LRN"};
  return *ops;
}

int ElementBytes(int elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::UINT64: return 8;
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16: return 2;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL: return 1;
    default: return 4;
  }
}

// The ONNX activations the agents time, by the op model's function name.
const absl::flat_hash_map<std::string, std::string>& ActivationFunctions() {
  static const auto* functions = new absl::flat_hash_map<std::string, std::string>{{"Relu", "relu"},
                                                                                   {"LeakyRelu", "leakyrelu"},
                                                                                   {"Clip", "clip"},
                                                                                   {"Sigmoid", "sigmoid"},
                                                                                   {"HardSigmoid", "hardsigmoid"},
                                                                                   {"HardSwish", "hardswish"},
                                                                                   {"Tanh", "tanh"},
                                                                                   {"Elu", "elu"},
                                                                                   {"Gelu", "gelu"},
                                                                                   {"Exp", "exp"},
                                                                                   {"Log", "log"},
                                                                                   {"Sqrt", "sqrt"},
                                                                                   {"Abs", "abs"},
                                                                                   {"Softplus", "softplus"},
                                                                                   {"Mish", "mish"}};
  return *functions;
}

bool SetPooling(v1::OpParams& op, const onnx::NodeProto& node, const Shape& in, const Shape& out) {
  if (in.size() != 4 || out.size() != 4 || !SetDims(op, in)) return false;
  if (absl::StartsWith(node.op_type(), "Global")) {
    op.set_kernel_h(op.h());
    op.set_kernel_w(op.w());
    return true;
  }
  const std::vector<int64_t> kernel = IntsAttribute(node, "kernel_shape");
  if (kernel.size() != 2 || kernel[0] <= 0 || kernel[1] <= 0 || kernel[0] > in[2] || kernel[1] > in[3]) return false;
  const Axis h = ResolveAxis(node, 0, 2, in[2], out[2], kernel[0]);
  const Axis w = ResolveAxis(node, 1, 2, in[3], out[3], kernel[1]);
  op.set_kernel_h(static_cast<int32_t>(kernel[0]));
  op.set_kernel_w(static_cast<int32_t>(kernel[1]));
  op.set_stride_h(static_cast<int32_t>(std::clamp<int64_t>(h.stride, 1, kernel[0] + in[2])));
  op.set_stride_w(static_cast<int32_t>(std::clamp<int64_t>(w.stride, 1, kernel[1] + in[3])));
  op.set_pad_h(static_cast<int32_t>(std::clamp<int64_t>(h.pad, 0, kernel[0] - 1)));
  op.set_pad_w(static_cast<int32_t>(std::clamp<int64_t>(w.pad, 0, kernel[1] - 1)));
  return true;
}

// A reduction of an n x c x h x w tensor over exactly its last two axes (the `axes` attribute,
// before opset 18 moved it to an input).
bool IsSpatialReduction(const onnx::NodeProto& node, const Shape& input) {
  if (input.size() != 4) return false;
  std::vector<int64_t> axes = IntsAttribute(node, "axes");
  for (int64_t& axis : axes) axis = axis < 0 ? axis + 4 : axis;
  std::sort(axes.begin(), axes.end());
  return axes == std::vector<int64_t>{2, 3};
}

// Whether `node`'s `axis` attribute (default `fallback`) names the last axis of `shape`.
bool IsLastAxis(const onnx::NodeProto& node, const Shape& shape, int64_t fallback) {
  const int64_t axis = IntAttribute(node, "axis", fallback);
  const auto rank = static_cast<int64_t>(shape.size());
  return axis == rank - 1 || axis == -1;
}

// `shape` as rows x (the product of the axes from `axis` on): the 2-D view a softmax or layer
// norm over those axes works on.
Shape AsRows(const Shape& shape, size_t axis) {
  double rows = 1, columns = 1;
  for (size_t d = 0; d < shape.size(); ++d) (d < axis ? rows : columns) *= static_cast<double>(shape[d]);
  if (rows > static_cast<double>(int64_t{1} << 30) || columns > static_cast<double>(int64_t{1} << 30)) return {-1};
  return {static_cast<int64_t>(rows), static_cast<int64_t>(columns)};
}

// A node other than a convolution or matrix product as an op the agents time (see op_params.h),
// or nullopt when it is none of those (it is then predicted from its bytes and FLOPs alone).
std::optional<v1::OpParams> OtherOpParams(const onnx::NodeProto& node, const std::vector<Shape>& inputs,
                                          const Shape& out, int elem_type) {
  const std::optional<v1::DataType> dtype = ConvDataType(elem_type);
  if (!dtype || *dtype == v1::DATA_TYPE_INT8 || inputs.empty()) return std::nullopt;
  const std::string& type = node.op_type();
  v1::OpParams op;
  op.set_dtype(*dtype);
  bool mapped = false;
  if (type == "MaxPool" || type == "GlobalMaxPool" || type == "AveragePool" || type == "GlobalAveragePool") {
    op.set_kind(absl::StrContains(type, "Max") ? v1::OP_KIND_MAX_POOL : v1::OP_KIND_AVG_POOL);
    mapped = SetPooling(op, node, inputs[0], out);
  } else if ((type == "ReduceMean" || type == "ReduceMax") && IsSpatialReduction(node, inputs[0])) {
    // A mean (max) over height and width is a global average (max) pool.
    op.set_kind(type == "ReduceMax" ? v1::OP_KIND_MAX_POOL : v1::OP_KIND_AVG_POOL);
    mapped = SetDims(op, inputs[0]);
    op.set_kernel_h(op.h());
    op.set_kernel_w(op.w());
  } else if (const auto it = ActivationFunctions().find(type); it != ActivationFunctions().end()) {
    op.set_kind(v1::OP_KIND_ACTIVATION);
    op.set_function(it->second);
    mapped = SetDims(op, inputs[0]);
  } else if ((type == "Add" || type == "Sub" || type == "Mul" || type == "Div") && inputs.size() == 2) {
    // The larger operand sets the size; a smaller one is broadcast (a squeeze-excitation scale).
    const bool first_larger = Elements(inputs[0]) >= Elements(inputs[1]);
    op.set_kind(v1::OP_KIND_BINARY);
    op.set_function(absl::AsciiStrToLower(type));
    op.set_broadcast(Elements(inputs[0]) != Elements(inputs[1]));
    const Shape& large = first_larger ? inputs[0] : inputs[1];
    const Shape& small = first_larger ? inputs[1] : inputs[0];
    const std::optional<Shape> view = op.broadcast() ? BroadcastView(large, small) : std::nullopt;
    mapped = SetDims(op, view.value_or(large));
  } else if (type == "Concat") {
    op.set_kind(v1::OP_KIND_CONCAT);
    op.set_inputs(static_cast<int32_t>(inputs.size()));
    mapped = SetDims(op, out);
  } else if ((type == "Softmax" || type == "LogSoftmax") && IsLastAxis(node, inputs[0], -1) && inputs[0].size() > 2) {
    // Over the last axis (attention's scores over the sequence): rows of that many channels.
    op.set_kind(v1::OP_KIND_SOFTMAX);
    mapped = SetDims(op, AsRows(inputs[0], inputs[0].size() - 1));
  } else if (type == "Softmax" || type == "LogSoftmax") {
    op.set_kind(v1::OP_KIND_SOFTMAX);
    mapped = SetDims(op, inputs[0]);
  } else if (type == "LayerNormalization" && !inputs[0].empty()) {
    // Normalized over the axes from `axis` on, scaled and shifted per element of them: the batch
    // norm the agents time over rows of that many channels (one read, one write, an affine per
    // channel; fused LayerNorm kernels take the row statistics in the same pass).
    const auto rank = static_cast<int64_t>(inputs[0].size());
    int64_t axis = IntAttribute(node, "axis", -1);
    axis = axis < 0 ? axis + rank : axis;
    op.set_kind(v1::OP_KIND_BATCH_NORM);
    mapped = axis >= 0 && axis < rank && SetDims(op, AsRows(inputs[0], static_cast<size_t>(axis)));
  } else if ((type == "Resize" || type == "Upsample") && inputs[0].size() == 4 && out.size() == 4) {
    op.set_kind(v1::OP_KIND_RESIZE);
    const onnx::AttributeProto* mode = Attribute(node, "mode");
    op.set_function(mode != nullptr && mode->s() != "nearest" ? "linear" : "nearest");
    mapped = SetDims(op, inputs[0]) && out[2] <= (int64_t{1} << 30) && out[3] <= (int64_t{1} << 30);
    op.set_out_h(static_cast<int32_t>(std::min<int64_t>(out[2], int64_t{1} << 30)));
    op.set_out_w(static_cast<int32_t>(std::min<int64_t>(out[3], int64_t{1} << 30)));
  } else if (type == "BatchNormalization") {
    op.set_kind(v1::OP_KIND_BATCH_NORM);
    mapped = SetDims(op, inputs[0]);
  } else if (DataMovementOps().contains(type)) {
    // Split reads its whole input; the others write their (first) output.
    op.set_kind(v1::OP_KIND_COPY);
    mapped = SetDims(op, type == "Split" ? inputs[0] : out);
  }
  if (!mapped || !ValidateOpParams(op, "").ok()) return std::nullopt;
  NormalizeOpParams(op);
  return op;
}

// An Einsum from its inputs alone (ONNX 1.12 infers only the rank of its output).
absl::StatusOr<NetworkLayer> DescribeEinsum(const ValueTable& values, const onnx::NodeProto& node, int index,
                                            NetworkLayer layer) {
  if (node.input_size() != 2) return NodeError(node, index, "Einsum with other than two operands is not supported");
  absl::StatusOr<Shape> a = KnownShape(values, node, index, node.input(0));
  if (!a.ok()) return a.status();
  absl::StatusOr<Shape> b = KnownShape(values, node, index, node.input(1));
  if (!b.ok()) return b.status();
  layer.shape = absl::StrCat(ShapeText(*a), ", ", ShapeText(*b));
  absl::StatusOr<v1::ConvParams> conv = EinsumAsConv(node, index, *a, *b, values.TypeOf(node.input(0)));
  if (!conv.ok()) return conv.status();
  layer.conv = *conv;
  return layer;
}

}  // namespace

const absl::flat_hash_set<std::string>& FreeOps() {
  static const auto* ops =
      new absl::flat_hash_set<std::string>{"Reshape", "Flatten",  "Squeeze",         "Unsqueeze", "Shape",
                                           "Size",    "Constant", "ConstantOfShape", "Identity",  "Dropout"};
  return *ops;
}

const absl::flat_hash_set<std::string>& FusedIntoConvOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{"BatchNormalization", "Relu", "Clip", "LeakyRelu"};
  return *ops;
}

absl::StatusOr<NetworkLayer> DescribeNode(const ValueTable& values, const onnx::NodeProto& node, int index) {
  const std::string& op = node.op_type();
  if (node.output_size() == 0) return NodeError(node, index, "has no output");
  NetworkLayer layer{.name = NodeLabel(node, index), .op = op};
  if (op == "Einsum") return DescribeEinsum(values, node, index, std::move(layer));
  absl::StatusOr<Shape> out = KnownShape(values, node, index, node.output(0));
  if (!out.ok()) return out.status();
  std::vector<Shape> inputs;
  for (const std::string& input : node.input()) {
    if (input.empty()) continue;
    absl::StatusOr<Shape> shape = KnownShape(values, node, index, input);
    if (!shape.ok()) return shape.status();
    inputs.push_back(*shape);
  }
  std::vector<std::string> input_texts;
  for (const Shape& shape : inputs) input_texts.push_back(ShapeText(shape));
  layer.shape = absl::StrCat(absl::StrJoin(input_texts, ", "), " -> ", ShapeText(*out));
  const int elem_type = values.TypeOf(node.input_size() > 0 ? node.input(0) : node.output(0));

  if (op == "Conv" || op == "ConvTranspose") {
    if (inputs.size() < 2) return NodeError(node, index, "needs an input and a filter");
    // ConvTranspose (input N x C x H x W, filter C x K/g x R x S) is the data gradient of the
    // convolution from its output back to its input, and costs about what that one does.
    absl::StatusOr<v1::ConvParams> conv = op == "Conv"
                                              ? ForwardConv(node, index, inputs[0], inputs[1], *out, elem_type)
                                              : ForwardConv(node, index, *out, inputs[1], inputs[0], elem_type);
    if (!conv.ok()) return conv.status();
    layer.conv = *conv;
    return layer;
  }
  if (op == "Gemm") {
    if (inputs.size() < 2 || inputs[0].size() != 2 || out->size() != 2)
      return NodeError(node, index, "expects 2-D A and B");
    const int64_t k = IntAttribute(node, "transA", 0) != 0 ? inputs[0][0] : inputs[0][1];
    absl::StatusOr<v1::ConvParams> conv = GemmAsConv(node, index, (*out)[0], k, (*out)[1], elem_type);
    if (!conv.ok()) return conv.status();
    layer.conv = *conv;
    return layer;
  }
  if (op == "MatMul") {
    if (inputs.size() < 2 || inputs[0].empty() || out->empty()) return NodeError(node, index, "expects two tensors");
    if (!FitsConvParams(*out)) return NodeError(node, index, absl::StrCat("dimensions too large: ", ShapeText(*out)));
    // A second operand with batch dimensions of its own (attention's Q·Kᵀ and ·V) makes batched
    // GEMMs; a 2-D one (a Linear layer's weight) is shared, and all the first operand's rows are one GEMM.
    const Shape& b = inputs[1];
    double b_batch = 1;
    for (size_t d = 0; d + 2 < b.size(); ++d) b_batch *= static_cast<double>(b[d]);
    int64_t m = 1, batch = 1;  // capped before they could overflow
    const size_t row_dims = b_batch > 1 && out->size() >= 2 ? out->size() - 2 : 0;
    for (size_t d = 0; d < row_dims && batch <= (int64_t{1} << 30); ++d) batch *= (*out)[d];
    for (size_t d = row_dims; d + 1 < out->size() && m <= (int64_t{1} << 30); ++d) m *= (*out)[d];
    absl::StatusOr<v1::ConvParams> conv =
        BatchedGemmAsConv(node, index, batch, m, inputs[0].back(), out->back(), elem_type);
    if (!conv.ok()) return conv.status();
    layer.conv = *conv;
    return layer;
  }

  const double bytes_per_element = ElementBytes(elem_type);
  double input_elements = 0;
  for (const Shape& shape : inputs) input_elements += Elements(shape);
  const double output_elements = Elements(*out);
  layer.bytes = (input_elements + output_elements) * bytes_per_element;
  if (ElementwiseOps().contains(op)) {
    layer.flops = output_elements * std::max<size_t>(1, inputs.size());
  } else if (ReducingOps().contains(op)) {
    const std::vector<int64_t> kernel = IntsAttribute(node, "kernel_shape");
    double window = 1;
    for (int64_t k : kernel) window *= static_cast<double>(k);
    layer.flops = kernel.empty() ? input_elements : output_elements * window;
  } else if (!DataMovementOps().contains(op)) {
    return NodeError(node, index, "op is not supported by convlat's importer");
  }
  layer.op_params = OtherOpParams(node, inputs, *out, elem_type);
  if (layer.op_params) {
    const OpWork work = WorkOf(*layer.op_params);
    layer.bytes = work.bytes;
    layer.flops = work.flops;
  }
  return layer;
}

}  // namespace convlat::model::onnx_internal
