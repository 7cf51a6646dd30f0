#pragma once
// The other ops of a network (pooling, activations, elementwise arithmetic, concatenation,
// softmax, resize, batch normalization, copies) as oneDNN primitives, set up the way inference
// frameworks run them on CPUs.

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "profiler_agent/onednn/onednn_primitive.h"

namespace convlat::agent {

// The primitive for a valid, normalized op, its operands filled. UNIMPLEMENTED for dtypes the CPU
// does not run; oneDNN's own refusals come as dnnl::error.
absl::StatusOr<PreparedPrimitive> PrepareOneDnnOp(const v1::OpParams& op, const dnnl::engine& engine);

}  // namespace convlat::agent
