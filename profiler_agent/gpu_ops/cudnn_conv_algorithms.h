#pragma once
// Which cuDNN forward algorithm a convolution runs with: the heuristic's top choice, the fastest
// of a benchmark on real buffers, or all of them. Shared by the backend's sweeps and the GPU
// network runner, so a network layer runs what a swept layer is timed with.

#include <cudnn.h>

#include <vector>

#include "absl/status/statusor.h"
#include "profiler_agent/backend/conv_backend.h"
#include "profiler_agent/cudnn/cudnn_descriptors.h"

namespace convlat::agent {

// An algorithm to time and the math type cuDNN chose or benchmarked it with.
struct ConvCandidate {
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnMathType_t math_type = CUDNN_FMA_MATH;
};

// The device buffers of one convolution, for benchmarking candidates.
struct ConvBuffers {
  const void* input = nullptr;
  const void* filter = nullptr;
  void* output = nullptr;
};

// heuristic: one; exhaustive: the fastest of cudnnFindConvolutionForwardAlgorithmEx on
// `buffers`; all: every distinct one cuDNN says can run. UNIMPLEMENTED when none can.
absl::StatusOr<std::vector<ConvCandidate>> ChooseConvCandidates(cudnnHandle_t handle, AlgoSelection selection,
                                                                const CudnnConvConfig& config,
                                                                const CudnnConvDescriptors& descriptors,
                                                                const ConvBuffers& buffers);

// Sets the candidate's math type on the descriptors and returns the workspace it needs.
absl::StatusOr<size_t> PrepareConvCandidate(cudnnHandle_t handle, const ConvCandidate& candidate,
                                            CudnnConvDescriptors& descriptors);

// Enqueues one cudnnConvolutionForward.
absl::Status RunConvolution(cudnnHandle_t handle, const ConvCandidate& candidate, const CudnnConvDescriptors& d,
                            const ConvBuffers& buffers, void* workspace, size_t workspace_bytes);

}  // namespace convlat::agent
