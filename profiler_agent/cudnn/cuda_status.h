#pragma once
// CUDA runtime, cuDNN and CUPTI status codes as absl::Status, naming the call that failed, so a
// failed measurement says why (and a caller can tell "not supported" from "out of memory").

#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <cupti_result.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace convlat::agent {

// cudaErrorMemoryAllocation -> RESOURCE_EXHAUSTED; no device or driver -> FAILED_PRECONDITION;
// anything else -> INTERNAL.
absl::Status CudaStatus(cudaError_t error, absl::string_view call);

// CUDNN_STATUS_NOT_SUPPORTED* -> UNIMPLEMENTED; allocation failures -> RESOURCE_EXHAUSTED;
// CUDNN_STATUS_BAD_PARAM* -> INVALID_ARGUMENT; anything else -> INTERNAL. The message carries
// cuDNN's own explanation (cudnnGetLastErrorString) when it has one.
absl::Status CudnnStatus(cudnnStatus_t status, absl::string_view call);

// CUPTI_ERROR_INSUFFICIENT_PRIVILEGES -> PERMISSION_DENIED; anything else -> INTERNAL.
absl::Status CuptiStatus(CUptiResult result, absl::string_view call);

}  // namespace convlat::agent
