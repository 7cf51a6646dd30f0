#include "profiler_agent/cudnn/cuda_status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace convlat::agent {

absl::Status CudaStatus(cudaError_t error, absl::string_view call) {
  if (error == cudaSuccess) return absl::OkStatus();
  const std::string message = absl::StrCat(call, ": ", cudaGetErrorName(error), " (", cudaGetErrorString(error), ")");
  switch (error) {
    case cudaErrorMemoryAllocation: return absl::ResourceExhaustedError(absl::StrCat("out of GPU memory: ", message));
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
    case cudaErrorDevicesUnavailable: return absl::FailedPreconditionError(message);
    default: return absl::InternalError(message);
  }
}

absl::Status CudnnStatus(cudnnStatus_t status, absl::string_view call) {
  if (status == CUDNN_STATUS_SUCCESS) return absl::OkStatus();
  std::string message = absl::StrCat(call, ": ", cudnnGetErrorString(status));
  // cuDNN 9 keeps a more specific explanation of the last error per thread.
  char details[512] = {};
  cudnnGetLastErrorString(details, sizeof(details));
  if (details[0] != '\0') absl::StrAppend(&message, " (", details, ")");
  // cuDNN 9 codes are a category (thousands) plus a specific reason.
  const int category = static_cast<int>(status) / 1000 * 1000;
  if (status == CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED ||
      status == CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED) {
    return absl::ResourceExhaustedError(absl::StrCat("out of memory: ", message));
  }
  if (category == CUDNN_STATUS_NOT_SUPPORTED) return absl::UnimplementedError(absl::StrCat("not supported: ", message));
  if (category == CUDNN_STATUS_BAD_PARAM) return absl::InvalidArgumentError(message);
  return absl::InternalError(message);
}

absl::Status CuptiStatus(CUptiResult result, absl::string_view call) {
  if (result == CUPTI_SUCCESS) return absl::OkStatus();
  const char* text = nullptr;
  if (cuptiGetResultString(result, &text) != CUPTI_SUCCESS || text == nullptr) text = "unknown CUPTI error";
  const std::string message = absl::StrCat(call, ": ", text);
  if (result == CUPTI_ERROR_INSUFFICIENT_PRIVILEGES) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

}  // namespace convlat::agent
