#pragma once
// The GPU backend: real cuDNN convolutions (legacy cudnnConvolutionForward API, still in cuDNN 9),
// timed with CUDA events, with the kernels each one launched recorded through CUPTI.

#include <memory>

#include "absl/status/statusor.h"
#include "profiler_agent/backend/conv_backend.h"

namespace convlat::agent {

// FAILED_PRECONDITION, with the CUDA runtime's reason, when there is no usable GPU.
absl::StatusOr<std::unique_ptr<ConvBackend>> MakeCudnnBackend(AlgoSelection algo, int device = 0);

}  // namespace convlat::agent
