#include "profiler_agent/gpu_ops/cudnn_conv_algorithms.h"

#include <algorithm>

#include "profiler_agent/cudnn/cuda_status.h"
#include "profiler_agent/cudnn/device_operands.h"

namespace convlat::agent {
namespace {

// cuDNN reports the math type it ranked or benchmarked an algorithm with, and that is the one to
// run it with, except that it may report tensor-op math for an fp32 convolution whose descriptor
// asked for FMA only (frameworks override it back the same way): the default math mode promises
// no tensor cores, so FMA is kept then.
ConvCandidate CandidateOf(const CudnnConvConfig& config, const cudnnConvolutionFwdAlgoPerf_t& perf) {
  return {perf.algo, config.math_type == CUDNN_FMA_MATH ? CUDNN_FMA_MATH : perf.mathType};
}

// What cuDNN's heuristics rank, in their order, keeping only those it says can run.
absl::StatusOr<std::vector<cudnnConvolutionFwdAlgoPerf_t>> HeuristicRanking(cudnnHandle_t handle,
                                                                            const CudnnConvDescriptors& d) {
  int max_count = 0;
  if (absl::Status s = CudnnStatus(cudnnGetConvolutionForwardAlgorithmMaxCount(handle, &max_count),
                                   "cudnnGetConvolutionForwardAlgorithmMaxCount");
      !s.ok()) {
    return s;
  }
  std::vector<cudnnConvolutionFwdAlgoPerf_t> ranking(std::max(1, max_count));
  int returned = 0;
  if (absl::Status s = CudnnStatus(
          cudnnGetConvolutionForwardAlgorithm_v7(handle, d.input(), d.filter(), d.convolution(), d.output(),
                                                 static_cast<int>(ranking.size()), &returned, ranking.data()),
          "cudnnGetConvolutionForwardAlgorithm_v7");
      !s.ok()) {
    return s;
  }
  ranking.resize(returned);
  std::erase_if(ranking, [](const cudnnConvolutionFwdAlgoPerf_t& p) { return p.status != CUDNN_STATUS_SUCCESS; });
  return ranking;
}

// cudnnFindConvolutionForwardAlgorithmEx on the real buffers, with a workspace as large as the
// hungriest candidate needs (within free memory); the fastest that ran wins.
absl::StatusOr<ConvCandidate> FindFastest(cudnnHandle_t handle, const CudnnConvConfig& config,
                                          const CudnnConvDescriptors& d, const ConvBuffers& buffers,
                                          const std::vector<cudnnConvolutionFwdAlgoPerf_t>& ranking) {
  size_t wanted = 0;
  for (const cudnnConvolutionFwdAlgoPerf_t& perf : ranking) wanted = std::max(wanted, perf.memory);
  size_t free_bytes = 0, total_bytes = 0;
  if (absl::Status s = CudaStatus(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo"); !s.ok()) return s;
  absl::StatusOr<DeviceBuffer> workspace = DeviceBuffer::Allocate(std::min(wanted, free_bytes / 2));
  if (!workspace.ok()) return workspace.status();
  std::vector<cudnnConvolutionFwdAlgoPerf_t> results(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
  int returned = 0;
  if (absl::Status s = CudnnStatus(
          cudnnFindConvolutionForwardAlgorithmEx(
              handle, d.input(), buffers.input, d.filter(), buffers.filter, d.convolution(), d.output(), buffers.output,
              static_cast<int>(results.size()), &returned, results.data(), workspace->data(), workspace->size()),
          "cudnnFindConvolutionForwardAlgorithmEx");
      !s.ok()) {
    return s;
  }
  // Results come sorted by time, failures last.
  for (int i = 0; i < returned; ++i) {
    if (results[i].status == CUDNN_STATUS_SUCCESS) return CandidateOf(config, results[i]);
  }
  return absl::UnimplementedError(
      "not supported: no cuDNN forward algorithm ran in cudnnFindConvolutionForwardAlgorithmEx");
}

}  // namespace

absl::StatusOr<std::vector<ConvCandidate>> ChooseConvCandidates(cudnnHandle_t handle, AlgoSelection selection,
                                                                const CudnnConvConfig& config,
                                                                const CudnnConvDescriptors& d,
                                                                const ConvBuffers& buffers) {
  absl::StatusOr<std::vector<cudnnConvolutionFwdAlgoPerf_t>> ranking = HeuristicRanking(handle, d);
  if (!ranking.ok()) return ranking.status();
  if (ranking->empty()) {
    return absl::UnimplementedError("not supported: cuDNN has no forward algorithm for this configuration");
  }
  std::vector<ConvCandidate> candidates;
  switch (selection) {
    case AlgoSelection::kHeuristic: candidates.push_back(CandidateOf(config, ranking->front())); break;
    case AlgoSelection::kAll:
      for (const cudnnConvolutionFwdAlgoPerf_t& perf : *ranking) {
        const ConvCandidate candidate = CandidateOf(config, perf);
        const bool seen = std::any_of(candidates.begin(), candidates.end(), [&](const ConvCandidate& c) {
          return c.algo == candidate.algo && c.math_type == candidate.math_type;
        });
        if (!seen) candidates.push_back(candidate);
      }
      break;
    case AlgoSelection::kExhaustive: {
      absl::StatusOr<ConvCandidate> fastest = FindFastest(handle, config, d, buffers, *ranking);
      if (!fastest.ok()) return fastest.status();
      candidates.push_back(*fastest);
      break;
    }
  }
  return candidates;
}

absl::StatusOr<size_t> PrepareConvCandidate(cudnnHandle_t handle, const ConvCandidate& candidate,
                                            CudnnConvDescriptors& d) {
  if (absl::Status s = d.SetMathType(candidate.math_type); !s.ok()) return s;
  size_t workspace_bytes = 0;
  if (absl::Status s =
          CudnnStatus(cudnnGetConvolutionForwardWorkspaceSize(handle, d.input(), d.filter(), d.convolution(),
                                                              d.output(), candidate.algo, &workspace_bytes),
                      "cudnnGetConvolutionForwardWorkspaceSize");
      !s.ok()) {
    return s;
  }
  return workspace_bytes;
}

absl::Status RunConvolution(cudnnHandle_t handle, const ConvCandidate& candidate, const CudnnConvDescriptors& d,
                            const ConvBuffers& buffers, void* workspace, size_t workspace_bytes) {
  // alpha and beta are float for float, half and bfloat16 data.
  const float alpha = 1.0f, beta = 0.0f;
  return CudnnStatus(
      cudnnConvolutionForward(handle, &alpha, d.input(), buffers.input, d.filter(), buffers.filter, d.convolution(),
                              candidate.algo, workspace, workspace_bytes, &beta, d.output(), buffers.output),
      "cudnnConvolutionForward");
}

}  // namespace convlat::agent
