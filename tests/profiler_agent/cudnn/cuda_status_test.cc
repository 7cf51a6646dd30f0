// CUDA, cuDNN and CUPTI codes become statuses a failed measurement can explain itself with.
#include "profiler_agent/cudnn/cuda_status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

TEST(CudaStatusTest, SuccessIsOk) {
  EXPECT_TRUE(CudaStatus(cudaSuccess, "cudaMalloc").ok());
  EXPECT_TRUE(CudnnStatus(CUDNN_STATUS_SUCCESS, "cudnnCreate").ok());
  EXPECT_TRUE(CuptiStatus(CUPTI_SUCCESS, "cuptiActivityEnable").ok());
}

TEST(CudaStatusTest, OutOfMemoryIsResourceExhausted) {
  const absl::Status status = CudaStatus(cudaErrorMemoryAllocation, "cudaMalloc(1024 bytes)");
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(status.message(), HasSubstr("out of GPU memory"));
  EXPECT_THAT(status.message(), HasSubstr("cudaMalloc(1024 bytes)"));
  EXPECT_THAT(status.message(), HasSubstr("cudaErrorMemoryAllocation"));
}

TEST(CudaStatusTest, NoDeviceIsAPrecondition) {
  EXPECT_EQ(CudaStatus(cudaErrorNoDevice, "cudaGetDeviceCount").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CudaStatus(cudaErrorInsufficientDriver, "cudaGetDeviceCount").code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CudaStatusTest, LaunchFailureIsInternal) {
  const absl::Status status = CudaStatus(cudaErrorLaunchFailure, "cudaEventSynchronize");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("cudaErrorLaunchFailure"));
}

TEST(CudnnStatusTest, EveryNotSupportedReasonIsUnimplemented) {
  for (cudnnStatus_t code : {CUDNN_STATUS_NOT_SUPPORTED, CUDNN_STATUS_NOT_SUPPORTED_SHAPE,
                             CUDNN_STATUS_NOT_SUPPORTED_LAYOUT, CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH}) {
    const absl::Status status = CudnnStatus(code, "cudnnConvolutionForward");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented) << status;
    EXPECT_THAT(status.message(), HasSubstr("not supported"));
    EXPECT_THAT(status.message(), HasSubstr("cudnnConvolutionForward"));
  }
}

TEST(CudnnStatusTest, AllocationFailuresAreResourceExhausted) {
  EXPECT_EQ(CudnnStatus(CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED, "cudnnFind").code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(CudnnStatus(CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED, "cudnnFind").code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(CudnnStatusTest, BadParametersAndOtherErrors) {
  EXPECT_EQ(CudnnStatus(CUDNN_STATUS_BAD_PARAM, "cudnnSetTensor4dDescriptor").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CudnnStatus(CUDNN_STATUS_BAD_PARAM_NULL_POINTER, "cudnnSetTensor4dDescriptor").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CudnnStatus(CUDNN_STATUS_EXECUTION_FAILED, "cudnnConvolutionForward").code(), absl::StatusCode::kInternal);
}

TEST(CuptiStatusTest, MissingPrivilegesArePermissionDenied) {
  const absl::Status status = CuptiStatus(CUPTI_ERROR_INSUFFICIENT_PRIVILEGES, "cuptiActivityEnable");
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(status.message(), HasSubstr("cuptiActivityEnable"));
  EXPECT_EQ(CuptiStatus(CUPTI_ERROR_UNKNOWN, "cuptiActivityFlushAll").code(), absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace convlat::agent
