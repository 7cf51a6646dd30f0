#include "model/onnx/internal/graph.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace convlat::model::onnx_internal {
namespace {

std::optional<Shape> ShapeOf(const onnx::TypeProto& type) {
  if (!type.has_tensor_type() || !type.tensor_type().has_shape()) return std::nullopt;
  Shape shape;
  for (const auto& dim : type.tensor_type().shape().dim()) shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  return shape;
}

}  // namespace

std::string NodeLabel(const onnx::NodeProto& node, int index) {
  return node.name().empty() ? absl::StrCat(node.op_type(), "_", index) : node.name();
}

absl::Status NodeError(const onnx::NodeProto& node, int index, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("node '", NodeLabel(node, index), "' (", node.op_type(), "): ", what));
}

bool Known(const Shape& shape) {
  return std::all_of(shape.begin(), shape.end(), [](int64_t d) { return d >= 0; });
}

std::string ShapeText(const Shape& shape) {
  return absl::StrJoin(shape, "x",
                       [](std::string* out, int64_t d) { absl::StrAppend(out, d < 0 ? "?" : absl::StrCat(d)); });
}

double Elements(const Shape& shape) {
  double elements = 1;
  for (int64_t d : shape) elements *= static_cast<double>(std::max<int64_t>(d, 0));
  return elements;
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

ValueTable::ValueTable(const onnx::GraphProto& graph) {
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

absl::StatusOr<Shape> KnownShape(const ValueTable& values, const onnx::NodeProto& node, int index,
                                 const std::string& value) {
  std::optional<Shape> shape = values.Find(value);
  if (!shape || !Known(*shape)) {
    return NodeError(
        node, index,
        absl::StrCat("the shape of '", value, "' does not infer", shape ? " (" + ShapeText(*shape) + ")" : "",
                     "; fix the graph inputs' shapes with --input NAME=NxCxHxW or --batch N"));
  }
  return *shape;
}

}  // namespace convlat::model::onnx_internal
