#pragma once
// A convolution as a oneDNN primitive, set up the way frameworks run it on CPUs.

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "oneapi/dnnl/dnnl.hpp"
#include "profiler_agent/onednn/onednn_primitive.h"

namespace convlat::agent {

// The primitive for a valid convolution, its operands filled: activations in the requested
// layout (native: oneDNN's choice), weights in whatever layout oneDNN prefers, as frameworks
// reorder weights once ahead of inference. UNIMPLEMENTED for dtypes the CPU does not run;
// oneDNN's own refusals come as dnnl::error.
absl::StatusOr<PreparedPrimitive> PrepareOneDnnConv(const v1::ConvParams& params, const dnnl::engine& engine);

}  // namespace convlat::agent
