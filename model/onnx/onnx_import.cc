#include "model/onnx/onnx_import.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <exception>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"

namespace convlat::model {
namespace {

using Shape = std::vector<int64_t>;  // -1 where a dimension is unknown

constexpr int kMinOpset = 7;
// Integer tensors up to this size are shapes, indices and the like, not data.
constexpr double kMaxShapeElements = 64;

// Ops that move no data of their own (views, shape arithmetic, constants, inference no-ops).
const absl::flat_hash_set<std::string>& FreeOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Shape", "Size", "Constant", "ConstantOfShape",
      "Identity", "Dropout"};
  return *ops;
}
// One output element per input element, a few operations each.
const absl::flat_hash_set<std::string>& ElementwiseOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Relu", "LeakyRelu", "PRelu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Erf",
      "Exp", "Log", "Sqrt", "Reciprocal", "Neg", "Abs", "Cast", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min",
      "Sum", "Mean", "Where", "Not", "Equal", "Less", "Greater", "Softplus", "Mish", "Gelu",
      "BatchNormalization", "InstanceNormalization", "LayerNormalization"};
  return *ops;
}
// Read everything, write everything, little arithmetic.
const absl::flat_hash_set<std::string>& DataMovementOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "Concat", "Split", "Slice", "Pad", "Transpose", "Resize", "Upsample", "Tile", "Expand", "Gather",
      "DepthToSpace", "SpaceToDepth"};
  return *ops;
}
// Each output element reads a window (or all) of the input.
const absl::flat_hash_set<std::string>& ReducingOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{
      "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool", "ReduceMean", "ReduceSum",
      "ReduceMax", "ReduceMin", "ReduceL2", "Softmax", "LogSoftmax", "LRN"};
  return *ops;
}
// Ops a runtime fuses into the convolution before them (cuDNN/TensorRT/oneDNN post-ops).
const absl::flat_hash_set<std::string>& FusedIntoConvOps() {
  static const auto* ops = new absl::flat_hash_set<std::string>{"BatchNormalization", "Relu", "Clip", "LeakyRelu"};
  return *ops;
}

std::string NodeLabel(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? absl::StrCat(node.op_type(), "_", index) : node.name();
}

absl::Status NodeError(const onnx::NodeProto& node, int index, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("node '", NodeLabel(node, index), "' (", node.op_type(), "): ", what));
}

std::optional<Shape> ShapeOf(const onnx::TypeProto& type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return std::nullopt;
  Shape shape;
  for (const auto& dim : type.tensor_type().shape().dim()) shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  return shape;
}

bool Known(const Shape& shape) {
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

std::string ShapeText(const Shape& shape) {
  return absl::StrJoin(shape, "x", [](std::string* out, int64_t d) { absl::StrAppend(out, d < 0 ? "?" : absl::StrCat(d)); });
}

double Elements(const Shape& shape) {
  double elements = 1;
  for (int64_t d : shape) elements *= static_cast<double>(std::max<int64_t>(d, 0));
  return elements;
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

std::optional<v1::DataType> ConvDataType(int elem_type) {
  switch (elem_type) {
    case onnx::TensorProto::FLOAT: return v1::DATA_TYPE_FP32;
    case onnx::TensorProto::FLOAT16: return v1::DATA_TYPE_FP16;
    case onnx::TensorProto::BFLOAT16: return v1::DATA_TYPE_BF16;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8: return v1::DATA_TYPE_INT8;
    default: return std::nullopt;
  }
}

const onnx::AttributeProto* Attribute(const onnx::NodeProto& node, absl::string_view name) {
  for (const onnx::AttributeProto& attribute : node.attribute()) {
    if (attribute.name() == name) return &attribute;
  }
  return nullptr;
}

int64_t IntAttribute(const onnx::NodeProto& node, absl::string_view name, int64_t fallback) {
  const onnx::AttributeProto* a = Attribute(node, name);
  return a != nullptr ? a->i() : fallback;
}

std::vector<int64_t> IntsAttribute(const onnx::NodeProto& node, absl::string_view name) {
  const onnx::AttributeProto* a = Attribute(node, name);
  return a != nullptr ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
}

// What shape inference left in the graph: every value's shape and element type.
class ValueTable {
 public:
  explicit ValueTable(const onnx::GraphProto& graph) {
    for (const onnx::TensorProto& t : graph.initializer()) {
      shapes_[t.name()] = Shape(t.dims().begin(), t.dims().end());
      types_[t.name()] = t.data_type();
    }
    auto add = [this](const onnx::ValueInfoProto& v) {
      if (std::optional<Shape> shape = ShapeOf(v.type())) shapes_[v.name()] = *shape;
      if (v.type().has_tensor_type()) types_[v.name()] = v.type().tensor_type().elem_type();
    };
    for (const auto& v : graph.input()) add(v);
    for (const auto& v : graph.value_info()) add(v);
    for (const auto& v : graph.output()) add(v);
  }

  std::optional<Shape> Find(const std::string& name) const {
    const auto it = shapes_.find(name);
    return it == shapes_.end() ? std::nullopt : std::optional<Shape>(it->second);
  }
  int TypeOf(const std::string& name) const {
    const auto it = types_.find(name);
    return it == types_.end() ? onnx::TensorProto::FLOAT : it->second;
  }

 private:
  absl::flat_hash_map<std::string, Shape> shapes_;
  absl::flat_hash_map<std::string, int> types_;
};

// The shape of a node's input or output, fully known, or an error that says how to fix it.
absl::StatusOr<Shape> KnownShape(const ValueTable& values, const onnx::NodeProto& node, int index,
                                 const std::string& value) {
  std::optional<Shape> shape = values.Find(value);
  if (!shape || !Known(*shape)) {
    return NodeError(node, index,
                     absl::StrCat("the shape of '", value, "' does not infer", shape ? " (" + ShapeText(*shape) + ")" : "",
                                  "; fix the graph inputs' shapes with --input NAME=NxCxHxW or --batch N"));
  }
  return *shape;
}

// Conv and ConvTranspose attributes resolved to one spatial axis: pads from auto_pad as the
// runtime computes them, and the symmetric pad convlat's ConvParams hold (asymmetric pads are
// averaged, which changes the output size by at most one).
struct Axis {
  int64_t stride = 1, dilation = 1, pad = 0;
};

Axis ResolveAxis(const onnx::NodeProto& node, int axis, int spatial_axes, int64_t in, int64_t out, int64_t kernel) {
  Axis a;
  const std::vector<int64_t> strides = IntsAttribute(node, "strides"), dilations = IntsAttribute(node, "dilations"),
                             pads = IntsAttribute(node, "pads");
  if (axis < static_cast<int>(strides.size())) a.stride = strides[axis];
  if (axis < static_cast<int>(dilations.size())) a.dilation = dilations[axis];
  const onnx::AttributeProto* auto_pad = Attribute(node, "auto_pad");
  const std::string mode = auto_pad != nullptr ? auto_pad->s() : "NOTSET";
  if (mode == "SAME_UPPER" || mode == "SAME_LOWER") {
    const int64_t total = std::max<int64_t>(0, (out - 1) * a.stride + (kernel - 1) * a.dilation + 1 - in);
    a.pad = total / 2;
  } else if (mode != "VALID" && static_cast<int>(pads.size()) == 2 * spatial_axes) {
    a.pad = (pads[axis] + pads[axis + spatial_axes]) / 2;
  }
  return a;
}

// ConvParams hold 32-bit sizes; a claim beyond them (a hostile or broken file) is refused, not
// truncated into a plausible-looking layer.
bool FitsConvParams(const Shape& shape) {
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d <= (int64_t{1} << 30); });
}

// Fills the ConvParams of a forward convolution of `x` (NCHW or NCL) by filter `w` (K x C/g x R x S).
absl::StatusOr<v1::ConvParams> ForwardConv(const onnx::NodeProto& node, int index, const Shape& x, const Shape& w,
                                           const Shape& y, int elem_type) {
  if (x.size() != 4 && x.size() != 3) {
    return NodeError(node, index, absl::StrCat("only 1-D and 2-D convolutions are supported, input is ", ShapeText(x)));
  }
  if (w.size() != x.size() || y.size() != x.size()) {
    return NodeError(node, index, absl::StrCat("filter ", ShapeText(w), " and output ", ShapeText(y),
                                               " do not match input ", ShapeText(x)));
  }
  for (const Shape* shape : {&x, &w, &y}) {
    if (!FitsConvParams(*shape)) return NodeError(node, index, absl::StrCat("dimensions too large: ", ShapeText(*shape)));
  }
  std::optional<v1::DataType> dtype = ConvDataType(elem_type);
  if (!dtype) return NodeError(node, index, "unsupported element type for a convolution");
  const bool one_d = x.size() == 3;
  const int spatial = one_d ? 1 : 2;
  // 1-D convolutions become 2-D ones of height 1.
  const int64_t h = one_d ? 1 : x[2], w_in = one_d ? x[2] : x[3];
  const int64_t r = one_d ? 1 : w[2], s = one_d ? w[2] : w[3];
  const int64_t p = one_d ? 1 : y[2], q = one_d ? y[2] : y[3];
  const Axis ah = one_d ? Axis{} : ResolveAxis(node, 0, spatial, h, p, r);
  const Axis aw = ResolveAxis(node, one_d ? 0 : 1, spatial, w_in, q, s);
  const int64_t groups = IntAttribute(node, "group", 1);
  if (groups <= 0 || w[1] * groups != x[1]) {
    return NodeError(node, index, absl::StrCat("filter ", ShapeText(w), " has ", w[1], " input channels per group; input ",
                                               ShapeText(x), " has ", x[1], " channels in ", groups, " group(s)"));
  }
  v1::ConvParams conv;
  conv.set_n(static_cast<int32_t>(x[0]));
  conv.set_c(static_cast<int32_t>(x[1]));
  conv.set_h(static_cast<int32_t>(h));
  conv.set_w(static_cast<int32_t>(w_in));
  conv.set_k(static_cast<int32_t>(w[0]));
  conv.set_r(static_cast<int32_t>(r));
  conv.set_s(static_cast<int32_t>(s));
  conv.set_stride_h(static_cast<int32_t>(ah.stride));
  conv.set_stride_w(static_cast<int32_t>(aw.stride));
  conv.set_pad_h(static_cast<int32_t>(ah.pad));
  conv.set_pad_w(static_cast<int32_t>(aw.pad));
  conv.set_dilation_h(static_cast<int32_t>(ah.dilation));
  conv.set_dilation_w(static_cast<int32_t>(aw.dilation));
  conv.set_groups(static_cast<int32_t>(groups));
  conv.set_dtype(*dtype);
  conv.set_layout(v1::LAYOUT_NCHW);
  NormalizeConvParams(conv);
  if (absl::Status valid = ValidateConvParams(conv, "conv"); !valid.ok()) return NodeError(node, index, valid.message());
  return conv;
}

// A GEMM of M x K by K x N as the 1x1 convolution convlat's conv model predicts: M images of K
// channels, N filters.
absl::StatusOr<v1::ConvParams> GemmAsConv(const onnx::NodeProto& node, int index, int64_t m, int64_t k, int64_t n,
                                          int elem_type) {
  std::optional<v1::DataType> dtype = ConvDataType(elem_type);
  if (!dtype) return NodeError(node, index, "unsupported element type for a matrix product");
  if (!FitsConvParams({m, k, n})) return NodeError(node, index, absl::StrCat("dimensions too large: ", m, "x", k, "x", n));
  v1::ConvParams conv;
  conv.set_n(static_cast<int32_t>(m));
  conv.set_c(static_cast<int32_t>(k));
  conv.set_h(1);
  conv.set_w(1);
  conv.set_k(static_cast<int32_t>(n));
  conv.set_r(1);
  conv.set_s(1);
  conv.set_dtype(*dtype);
  NormalizeConvParams(conv);
  if (absl::Status valid = ValidateConvParams(conv, "gemm"); !valid.ok()) return NodeError(node, index, valid.message());
  return conv;
}

// A tensor of any rank as n x c x h x w with the same element count (rank 1 is channels, rank 2
// batch x channels, the dims past the third are folded into w); nullopt when a dim does not fit.
std::optional<std::array<int32_t, 4>> FoldTo4D(const Shape& shape) {
  std::array<int64_t, 4> dims{1, 1, 1, 1};
  if (shape.size() == 1) dims[1] = shape[0];
  for (size_t i = 0; i < shape.size() && shape.size() > 1; ++i) {
    if (i < 3) {
      dims[i] = shape[i];
    } else if (dims[3] > (int64_t{1} << 30) / std::max<int64_t>(shape[i], 1)) {
      return std::nullopt;
    } else {
      dims[3] *= shape[i];
    }
  }
  std::array<int32_t, 4> folded{};
  for (int i = 0; i < 4; ++i) {
    if (dims[i] <= 0 || dims[i] > (int64_t{1} << 30)) return std::nullopt;
    folded[i] = static_cast<int32_t>(dims[i]);
  }
  return folded;
}

bool SetDims(v1::OpParams& op, const Shape& shape) {
  const std::optional<std::array<int32_t, 4>> dims = FoldTo4D(shape);
  if (!dims) return false;
  op.set_n((*dims)[0]);
  op.set_c((*dims)[1]);
  op.set_h((*dims)[2]);
  op.set_w((*dims)[3]);
  return true;
}

// The ONNX activations the agents time, by the op model's function name.
const absl::flat_hash_map<std::string, std::string>& ActivationFunctions() {
  static const auto* functions = new absl::flat_hash_map<std::string, std::string>{
      {"Relu", "relu"}, {"LeakyRelu", "leakyrelu"}, {"Clip", "clip"}, {"Sigmoid", "sigmoid"},
      {"HardSigmoid", "hardsigmoid"}, {"HardSwish", "hardswish"}, {"Tanh", "tanh"}, {"Elu", "elu"},
      {"Gelu", "gelu"}, {"Exp", "exp"}, {"Log", "log"}, {"Sqrt", "sqrt"}, {"Abs", "abs"},
      {"Softplus", "softplus"}, {"Mish", "mish"}};
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
    mapped = SetDims(op, first_larger ? inputs[0] : inputs[1]);
  } else if (type == "Concat") {
    op.set_kind(v1::OP_KIND_CONCAT);
    op.set_inputs(static_cast<int32_t>(inputs.size()));
    mapped = SetDims(op, out);
  } else if (type == "Softmax" || type == "LogSoftmax") {
    op.set_kind(v1::OP_KIND_SOFTMAX);
    mapped = SetDims(op, inputs[0]);
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

class Importer {
 public:
  Importer(const onnx::GraphProto& graph, const ValueTable& values) : graph_(graph), values_(values) {}

  absl::StatusOr<std::vector<NetworkLayer>> Run() {
    if (absl::Status s = CheckTopologicalOrder(); !s.ok()) return s;
    absl::flat_hash_map<std::string, int> consumers;
    for (const onnx::NodeProto& node : graph_.node()) {
      for (const std::string& input : node.input()) ++consumers[input];
    }
    for (const auto& output : graph_.output()) ++consumers[output.name()];

    std::vector<NetworkLayer> layers;
    // The value whose producer a following BatchNormalization/activation may fuse into.
    absl::flat_hash_map<std::string, size_t> fusable_output;
    for (int i = 0; i < graph_.node_size(); ++i) {
      const onnx::NodeProto& node = graph_.node(i);
      const std::string& op = node.op_type();
      if (!node.domain().empty() && node.domain() != "ai.onnx") {
        return NodeError(node, i, absl::StrCat("ops of domain '", node.domain(), "' are not supported"));
      }
      if (FusedIntoConvOps().contains(op) && node.input_size() > 0 && node.output_size() > 0) {
        const auto it = fusable_output.find(node.input(0));
        if (it != fusable_output.end()) {
          const size_t conv_index = it->second;
          layers[conv_index].op = absl::StrCat(layers[conv_index].op, "+", op);
          fusable_output.erase(it);
          if (consumers[node.output(0)] == 1) fusable_output[node.output(0)] = conv_index;
          continue;
        }
      }
      if (FreeOps().contains(op) || IsShapeArithmetic(node)) continue;
      absl::StatusOr<NetworkLayer> layer = Describe(node, i);
      if (!layer.ok()) return layer.status();
      if (layer->conv && node.output_size() > 0 && consumers[node.output(0)] == 1) {
        fusable_output[node.output(0)] = layers.size();
      }
      layers.push_back(*std::move(layer));
    }
    return layers;
  }

 private:
  // ONNX requires nodes in topological order; a node reading a value no earlier node, input or
  // initializer produced means a cycle (or an unsorted or broken graph).
  absl::Status CheckTopologicalOrder() const {
    absl::flat_hash_set<std::string> available;
    for (const auto& input : graph_.input()) available.insert(input.name());
    for (const auto& init : graph_.initializer()) available.insert(init.name());
    for (int i = 0; i < graph_.node_size(); ++i) {
      const onnx::NodeProto& node = graph_.node(i);
      for (const std::string& input : node.input()) {
        if (!input.empty() && !available.contains(input)) {
          return NodeError(node, i, absl::StrCat("input '", input,
                                                 "' is not produced by any earlier node (a cycle, or an unsorted graph)"));
        }
      }
      for (const std::string& output : node.output()) available.insert(output);
    }
    return absl::OkStatus();
  }

  // Integer ops on shape-sized tensors (Shape → Gather → Div → Concat → Reshape chains that the
  // folding left, e.g. because they depend on the batch): a runtime computes them on the host
  // once, they launch no work on the device.
  bool IsShapeArithmetic(const onnx::NodeProto& node) const {
    if (node.output_size() == 0) return false;
    const int type = values_.TypeOf(node.output(0));
    if (type != onnx::TensorProto::INT64 && type != onnx::TensorProto::INT32) return false;
    const std::optional<Shape> shape = values_.Find(node.output(0));
    return shape && Known(*shape) && Elements(*shape) <= kMaxShapeElements;
  }

  absl::StatusOr<NetworkLayer> Describe(const onnx::NodeProto& node, int index) const {
    const std::string& op = node.op_type();
    if (node.output_size() == 0) return NodeError(node, index, "has no output");
    NetworkLayer layer{.name = NodeLabel(node, index), .op = op};
    absl::StatusOr<Shape> out = KnownShape(values_, node, index, node.output(0));
    if (!out.ok()) return out.status();
    std::vector<Shape> inputs;
    for (const std::string& input : node.input()) {
      if (input.empty()) continue;
      absl::StatusOr<Shape> shape = KnownShape(values_, node, index, input);
      if (!shape.ok()) return shape.status();
      inputs.push_back(*shape);
    }
    std::vector<std::string> input_texts;
    for (const Shape& shape : inputs) input_texts.push_back(ShapeText(shape));
    layer.shape = absl::StrCat(absl::StrJoin(input_texts, ", "), " -> ", ShapeText(*out));
    const int elem_type = values_.TypeOf(node.input_size() > 0 ? node.input(0) : node.output(0));

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
      if (inputs.size() < 2 || inputs[0].size() != 2 || out->size() != 2) return NodeError(node, index, "expects 2-D A and B");
      const int64_t k = IntAttribute(node, "transA", 0) != 0 ? inputs[0][0] : inputs[0][1];
      absl::StatusOr<v1::ConvParams> conv = GemmAsConv(node, index, (*out)[0], k, (*out)[1], elem_type);
      if (!conv.ok()) return conv.status();
      layer.conv = *conv;
      return layer;
    }
    if (op == "MatMul") {
      if (inputs.size() < 2 || inputs[0].empty() || out->empty()) return NodeError(node, index, "expects two tensors");
      if (!FitsConvParams(*out)) return NodeError(node, index, absl::StrCat("dimensions too large: ", ShapeText(*out)));
      int64_t m = 1;  // the rows of all the batched products; capped before it could overflow
      for (size_t d = 0; d + 1 < out->size() && m <= (int64_t{1} << 30); ++d) m *= (*out)[d];
      absl::StatusOr<v1::ConvParams> conv = GemmAsConv(node, index, m, inputs[0].back(), out->back(), elem_type);
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

  const onnx::GraphProto& graph_;
  const ValueTable& values_;
};

// Applies --batch and --input to the graph inputs that are activations (not initializers).
absl::Status FixInputShapes(onnx::GraphProto& graph, const OnnxImportOptions& options) {
  absl::flat_hash_set<std::string> initializers;
  for (const auto& init : graph.initializer()) initializers.insert(init.name());
  absl::flat_hash_set<std::string> used;
  for (onnx::ValueInfoProto& input : *graph.mutable_input()) {
    if (initializers.contains(input.name())) continue;
    onnx::TypeProto_Tensor* tensor = input.mutable_type()->mutable_tensor_type();
    if (const auto it = options.input_shapes.find(input.name()); it != options.input_shapes.end()) {
      used.insert(input.name());
      onnx::TensorShapeProto* shape = tensor->mutable_shape();
      shape->clear_dim();
      for (int64_t d : it->second) shape->add_dim()->set_dim_value(d);
      continue;
    }
    if (options.batch > 0 && tensor->has_shape() && tensor->shape().dim_size() > 0) {
      onnx::TensorShapeProto_Dimension* first = tensor->mutable_shape()->mutable_dim(0);
      if (options.force_batch || !first->has_dim_value()) first->set_dim_value(options.batch);
    }
  }
  for (const auto& [name, shape] : options.input_shapes) {
    if (!used.contains(name)) {
      return absl::InvalidArgumentError(absl::StrCat("--input ", name, ": the model has no graph input of that name"));
    }
  }
  return absl::OkStatus();
}

// Integer tensors computable at import time, by name.
using KnownInts = absl::flat_hash_map<std::string, std::vector<int64_t>>;

std::optional<std::vector<int64_t>> IntsOf(const onnx::TensorProto& t) {
  if (t.data_type() != onnx::TensorProto::INT64) return std::nullopt;
  if (t.int64_data_size() > 0) return std::vector<int64_t>(t.int64_data().begin(), t.int64_data().end());
  if (t.raw_data().size() % sizeof(int64_t) != 0) return std::nullopt;
  std::vector<int64_t> values(t.raw_data().size() / sizeof(int64_t));
  std::memcpy(values.data(), t.raw_data().data(), t.raw_data().size());
  return values;
}

// What one node computes from integer tensors already known: the shape arithmetic exporters
// write for a dynamic batch (Shape → Gather → Div → Cast → Unsqueeze → Concat → Reshape), which
// ONNX's own data propagation does not follow through Div and Cast.
std::optional<std::vector<int64_t>> FoldNode(const onnx::NodeProto& node, const KnownInts& known, const ValueTable& values) {
  const std::string& op = node.op_type();
  auto in = [&](int i) -> const std::vector<int64_t>* {
    if (i >= node.input_size()) return nullptr;
    const auto it = known.find(node.input(i));
    return it == known.end() ? nullptr : &it->second;
  };
  if (op == "Constant") {
    const onnx::AttributeProto* value = Attribute(node, "value");
    return value != nullptr && value->has_t() ? IntsOf(value->t()) : std::nullopt;
  }
  if (op == "Shape") {
    std::optional<Shape> shape = values.Find(node.input(0));
    if (!shape || !Known(*shape)) return std::nullopt;
    const int64_t rank = static_cast<int64_t>(shape->size());
    int64_t start = IntAttribute(node, "start", 0), end = IntAttribute(node, "end", rank);
    start = std::clamp(start < 0 ? start + rank : start, int64_t{0}, rank);
    end = std::clamp(end < 0 ? end + rank : end, int64_t{0}, rank);
    return std::vector<int64_t>(shape->begin() + start, shape->begin() + std::max(start, end));
  }
  if (op == "Cast" || op == "Identity" || op == "Unsqueeze" || op == "Squeeze") {
    return in(0) != nullptr ? std::optional<std::vector<int64_t>>(*in(0)) : std::nullopt;
  }
  if (op == "Gather") {
    const std::vector<int64_t>*data = in(0), *indices = in(1);
    if (data == nullptr || indices == nullptr || IntAttribute(node, "axis", 0) != 0) return std::nullopt;
    std::vector<int64_t> out;
    for (int64_t i : *indices) {
      if (i < 0) i += static_cast<int64_t>(data->size());
      if (i < 0 || i >= static_cast<int64_t>(data->size())) return std::nullopt;
      out.push_back((*data)[i]);
    }
    return out;
  }
  if (op == "Concat") {
    std::vector<int64_t> out;
    for (int i = 0; i < node.input_size(); ++i) {
      if (in(i) == nullptr) return std::nullopt;
      out.insert(out.end(), in(i)->begin(), in(i)->end());
    }
    return out;
  }
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") {
    const std::vector<int64_t>*a = in(0), *b = in(1);
    if (a == nullptr || b == nullptr || a->empty() || b->empty()) return std::nullopt;
    if (a->size() != b->size() && a->size() != 1 && b->size() != 1) return std::nullopt;
    std::vector<int64_t> out(std::max(a->size(), b->size()));
    for (size_t i = 0; i < out.size(); ++i) {
      const int64_t x = (*a)[a->size() == 1 ? 0 : i], y = (*b)[b->size() == 1 ? 0 : i];
      if (op == "Div" && y == 0) return std::nullopt;
      out[i] = op == "Add" ? x + y : op == "Sub" ? x - y : op == "Mul" ? x * y : x / y;
    }
    return out;
  }
  return std::nullopt;
}

// Runs ONNX shape inference, then folds the shape arithmetic it could not follow into constant
// inputs (Reshape targets, Slice bounds) and infers again, until nothing more folds (each round can unlock the next
// block of a network; bounded so a hostile graph cannot loop).
absl::Status InferShapes(onnx::ModelProto& model) {
  constexpr int kMaxRounds = 64;
  KnownInts known;
  absl::flat_hash_set<std::string> initializers;
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    initializers.insert(t.name());
    if (std::optional<std::vector<int64_t>> ints = IntsOf(t)) known[t.name()] = *ints;
  }
  for (int round = 0; round < kMaxRounds; ++round) {
    try {
      // Node-level errors throw (error mode 1); data propagation follows what it can.
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                         onnx::ShapeInferenceOptions(/*check_type_val=*/false, /*strict_mode_val=*/1,
                                                                     /*data_prop_val=*/true));
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("onnx_model: shape inference failed: ", e.what()));
    }
    const ValueTable values(model.graph());
    bool folded = false;
    for (onnx::NodeProto& node : *model.mutable_graph()->mutable_node()) {
      if (node.output_size() == 1 && !known.contains(node.output(0))) {
        if (std::optional<std::vector<int64_t>> ints = FoldNode(node, known, values)) known[node.output(0)] = *ints;
      }
      // A node whose output shape did not infer gets its computed integer inputs (Reshape and
      // Expand targets, Slice bounds, ...) as constants; its data input (0) is left alone.
      if (node.output_size() < 1) continue;
      std::optional<Shape> out = values.Find(node.output(0));
      if (out && Known(*out)) continue;
      const int first = node.op_type() == "ConstantOfShape" ? 0 : 1;
      for (int i = first; i < node.input_size(); ++i) {
        const auto value = known.find(node.input(i));
        if (value == known.end() || initializers.contains(node.input(i))) continue;
        // A copy: inserting into `known` below may rehash it (found by scripts/fuzz.sh).
        const std::vector<int64_t> ints = value->second;
        onnx::TensorProto* constant = model.mutable_graph()->add_initializer();
        constant->set_name(absl::StrCat(node.input(i), "/convlat_folded"));
        constant->set_data_type(onnx::TensorProto::INT64);
        constant->add_dims(static_cast<int64_t>(ints.size()));
        for (int64_t v : ints) constant->add_int64_data(v);
        known[constant->name()] = ints;
        initializers.insert(constant->name());
        node.set_input(i, constant->name());
        folded = true;
      }
    }
    if (!folded) return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> StripOnnxWeights(absl::string_view model_bytes) {
  onnx::ModelProto model;
  if (model_bytes.empty() || !model.ParseFromArray(model_bytes.data(), static_cast<int>(model_bytes.size()))) {
    return absl::InvalidArgumentError("not an ONNX model (the protobuf does not parse; truncated or another format?)");
  }
  for (onnx::TensorProto& tensor : *model.mutable_graph()->mutable_initializer()) {
    const int type = tensor.data_type();
    if (type != onnx::TensorProto::FLOAT && type != onnx::TensorProto::FLOAT16 && type != onnx::TensorProto::BFLOAT16 &&
        type != onnx::TensorProto::DOUBLE) {
      continue;  // integer initializers may be shapes the importer folds
    }
    tensor.clear_raw_data();
    tensor.clear_float_data();
    tensor.clear_double_data();
    tensor.clear_int32_data();
  }
  return model.SerializeAsString();
}

absl::StatusOr<std::vector<int64_t>> ParseShape(absl::string_view text) {
  std::vector<int64_t> shape;
  for (absl::string_view part : absl::StrSplit(text, 'x')) {
    int64_t d = 0;
    if (!absl::SimpleAtoi(part, &d) || d <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("shape '", text, "': expected positive sizes like 1x3x224x224"));
    }
    shape.push_back(d);
  }
  return shape;
}

absl::StatusOr<std::vector<NetworkLayer>> ImportOnnx(absl::string_view model_bytes, const OnnxImportOptions& options) {
  if (static_cast<int64_t>(model_bytes.size()) > options.max_model_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat("onnx_model: ", model_bytes.size(), " bytes is over the limit of ",
                                                     options.max_model_bytes, "; strip the weights (only shapes are read)"));
  }
  onnx::ModelProto model;
  if (model_bytes.empty() || !model.ParseFromArray(model_bytes.data(), static_cast<int>(model_bytes.size()))) {
    return absl::InvalidArgumentError("onnx_model: not an ONNX model (the protobuf does not parse; truncated or another format?)");
  }
  if (model.ir_version() <= 0 || !model.has_graph() || model.graph().node_size() == 0) {
    return absl::InvalidArgumentError("onnx_model: not an ONNX model (no IR version or an empty graph)");
  }
  int64_t opset = -1;
  for (const onnx::OperatorSetIdProto& import : model.opset_import()) {
    if (import.domain().empty() || import.domain() == "ai.onnx") opset = import.version();
  }
  if (opset < kMinOpset) {
    return absl::InvalidArgumentError(absl::StrCat("onnx_model: opset ", opset, " is older than ", kMinOpset,
                                                   "; re-export the model with a newer opset"));
  }
  if (absl::Status s = FixInputShapes(*model.mutable_graph(), options); !s.ok()) return s;
  if (absl::Status s = InferShapes(model); !s.ok()) return s;
  const ValueTable values(model.graph());
  return Importer(model.graph(), values).Run();
}

}  // namespace convlat::model
