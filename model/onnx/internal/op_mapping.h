#pragma once
// ONNX ops to the layers convlat predicts: which ops cost nothing, which fuse into the conv before
// them, and every other node as a conv or as an op with its bytes, FLOPs and (where the agents
// time it) OpParams. Not API: only model/onnx/ uses it.

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "model/layers/network.h"
#include "model/onnx/internal/graph.h"
#include "onnx/onnx_pb.h"

namespace convlat::model::onnx_internal {

// Ops that move no data of their own (views, shape arithmetic, constants, inference no-ops).
const absl::flat_hash_set<std::string>& FreeOps();
// Ops a runtime fuses into the convolution before them (cuDNN/TensorRT/oneDNN post-ops).
const absl::flat_hash_set<std::string>& FusedIntoConvOps();

// The layer a node that launches work becomes; an error for an op convlat does not know or
// shapes it cannot use, naming the node.
absl::StatusOr<NetworkLayer> DescribeNode(const ValueTable& values, const onnx::NodeProto& node, int index);

}  // namespace convlat::model::onnx_internal
