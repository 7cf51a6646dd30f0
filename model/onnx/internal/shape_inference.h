#pragma once
// Shape inference for the importer: ONNX's own, helped by folding the shape arithmetic it cannot
// follow; and, when a shape still does not infer, the error that says why. Not API: only
// model/onnx/ uses it.

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "model/onnx/internal/graph.h"
#include "model/onnx/internal/shape_folding.h"
#include "onnx/onnx_pb.h"

namespace convlat::model::onnx_internal {

// Runs ONNX shape inference, then folds the shape arithmetic it could not follow into constant
// inputs (Reshape, Expand, Tile and Resize targets, Slice bounds, Pad amounts) and infers again,
// until nothing more folds (each round can unlock the next block of a network; bounded so a
// hostile graph cannot loop). Returns every small tensor it could evaluate.
absl::StatusOr<FoldedValues> InferShapes(onnx::ModelProto& model);

// Every Reshape keeps its input's element count. ONNX's inference takes a constant target as it
// stands, so a static export given another batch (its reshape targets hold the batch it was
// exported at, as ViT's patch flattening does) would otherwise describe every later layer at the
// old batch, silently. The error names the node and both shapes.
absl::Status CheckReshapesKeepTheirElements(const onnx::GraphProto& graph, const ValueTable& values);

// Why the shapes of the graph do not all infer: the first node (in graph order) whose output
// shape is unknown, which of its inputs is at fault and why (a symbolic dimension of a graph input,
// or a shape computed by an op convlat does not evaluate), with the hint that fixes that cause.
// `needed_by` is the node whose layer could not be described. OK when every output is known.
absl::Status ExplainUnknownShape(const onnx::GraphProto& graph, const ValueTable& values, const FoldedValues& folded,
                                 const onnx::NodeProto& needed_by, int needed_by_index);

}  // namespace convlat::model::onnx_internal
