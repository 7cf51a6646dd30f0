#pragma once
// The shape arithmetic exporters write into a graph (Shape → Gather → Unsqueeze → Concat chains,
// the Equal/Where that turn PyTorch's -1 into ONNX's 1 before Expand, Slice bounds, Swin's padding
// sums), evaluated at import time so that ONNX shape inference can follow it. Only small tensors
// (shapes, indices, scales) are evaluated, never activations. Not API: only model/onnx/ uses it.

#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/onnx/internal/graph.h"
#include "onnx/onnx_pb.h"

namespace convlat::model::onnx_internal {

// A small tensor's values, as doubles: shape values stay exact (far below 2^53), and a Cast to
// float followed by Div and Floor (how PyTorch exports `//` on sizes) computes what it does at run time.
struct FoldedValue {
  std::vector<double> values;
  bool integer = true;  // an integer (or bool) element type: Div truncates, a Cast to it rounds toward zero
  Shape dims;           // empty for a scalar (a Gather by a scalar index, a Squeeze)

  bool scalar() const { return dims.empty(); }
};
using FoldedValues = absl::flat_hash_map<std::string, FoldedValue>;

// The largest tensor treated as a shape (a 6-D shape, or the pads of a 4-D Pad, is far below it).
inline constexpr int kMaxFoldedElements = 64;

// The values of a small constant tensor (an initializer or a Constant's value) with its
// data present; nullopt for stripped weights, large tensors or other element types.
std::optional<FoldedValue> FoldedValueOf(const onnx::TensorProto& tensor);

// What one node computes from the values already known; nullopt when it is not shape arithmetic
// convlat evaluates or an input is not known.
std::optional<FoldedValue> FoldNode(const onnx::NodeProto& node, const FoldedValues& known, const ValueTable& values);

// Whether FoldNode evaluates this op at all (for errors that say why a shape did not infer).
bool IsFoldableOp(const std::string& op_type);

// `value` as a constant to put in the graph, named `name`.
onnx::TensorProto FoldedTensor(const std::string& name, const FoldedValue& value);

}  // namespace convlat::model::onnx_internal
