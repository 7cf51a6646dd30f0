#pragma once
// A whole network run for real on the GPU: every layer of an imported network (convolutions
// through cuDNN with the algorithm its heuristic picks, or the fastest with --algo exhaustive;
// other ops through the same code as the cudnn backend's MeasureOp), in order, pass after pass,
// each layer reading the activations the layer before it wrote (gpu_network_plan.h). Each layer
// and each pass is timed with CUDA events, the GPU never waiting for the host inside a pass.
// This is the measured GPU latency that convlat's whole-network predictions are checked against.

#include <vector>

#include "absl/status/statusor.h"
#include "model/layers/network.h"
#include "profiler_agent/backend/conv_backend.h"
#include "profiler_agent/backend/network_run.h"
#include "profiler_agent/gpu_network/gpu_network_plan.h"

namespace convlat::agent {

struct GpuNetworkOptions {
  GpuNetworkOverrides overrides;
  AlgoSelection algo = AlgoSelection::kHeuristic;  // kAll runs the heuristic's choice
  int runs = 20;                                   // timed passes, after 2 warm-up passes
  int device = 0;
};

// FAILED_PRECONDITION when there is no usable GPU or no layer could be set up; a layer that cannot
// run (unsupported, out of memory) is skipped with its reason.
absl::StatusOr<NetworkRun> RunNetworkOnGpu(const std::vector<model::NetworkLayer>& layers,
                                           const GpuNetworkOptions& options);

}  // namespace convlat::agent
