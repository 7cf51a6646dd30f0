#pragma once
// Shape inference for the importer: ONNX's own, helped by folding the shape arithmetic it cannot
// follow. Not API: only model/onnx/ uses it.

#include "absl/status/status.h"
#include "onnx/onnx_pb.h"

namespace convlat::model::onnx_internal {

// Runs ONNX shape inference, then folds the shape arithmetic it could not follow into constant
// inputs (Reshape targets, Slice bounds) and infers again, until nothing more folds (each round can unlock the next
// block of a network; bounded so a hostile graph cannot loop).
absl::Status InferShapes(onnx::ModelProto& model);

}  // namespace convlat::model::onnx_internal
