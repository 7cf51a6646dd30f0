#pragma once
// What the importer's stages share about an ONNX graph: nodes (their attributes, and errors that
// name them) and values (their shapes and element types). Not API: only model/onnx/ uses it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "onnx/onnx_pb.h"

namespace convlat::model::onnx_internal {

using Shape = std::vector<int64_t>;  // -1 where a dimension is unknown

std::string NodeLabel(const onnx::NodeProto& node, int index);
absl::Status NodeError(const onnx::NodeProto& node, int index, absl::string_view what);

bool Known(const Shape& shape);
std::string ShapeText(const Shape& shape);
double Elements(const Shape& shape);

const onnx::AttributeProto* Attribute(const onnx::NodeProto& node, absl::string_view name);
int64_t IntAttribute(const onnx::NodeProto& node, absl::string_view name, int64_t fallback);
std::vector<int64_t> IntsAttribute(const onnx::NodeProto& node, absl::string_view name);

// What shape inference left in the graph: every value's shape and element type.
class ValueTable {
 public:
  explicit ValueTable(const onnx::GraphProto& graph);

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
                                 const std::string& value);

}  // namespace convlat::model::onnx_internal
