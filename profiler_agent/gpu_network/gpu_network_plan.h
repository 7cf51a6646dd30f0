#pragma once
// What the GPU network runner will run for each layer of an imported network: the cuDNN
// convolution config or the op plan, and the bytes of every buffer. Pure and host-only, so every
// layer of a network can be checked here, without a GPU: it gets a plan or a reason it is skipped.
//
// Dataflow is that of the oneDNN runner (profiler_agent/onednn/network_runner.cc): the layers'
// activations alternate between two buffers, each layer reading what the one before it wrote;
// weights, second operands of arithmetic and concat's other inputs keep buffers of their own.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "convlat/v1/types.pb.h"
#include "model/layers/network.h"
#include "profiler_agent/cudnn/cudnn_descriptors.h"
#include "profiler_agent/gpu_ops/gpu_op_plan.h"

namespace convlat::agent {

// Overrides for every layer; unspecified: as imported.
struct GpuNetworkOverrides {
  // fp16 and bf16 convolutions run with tensor-op math, as frameworks run them in half precision.
  v1::DataType dtype = v1::DATA_TYPE_UNSPECIFIED;
  v1::Layout layout = v1::LAYOUT_UNSPECIFIED;
};

struct GpuLayerPlan {
  std::string name;
  std::string op;  // the ONNX op(s), as imported
  std::optional<CudnnConvConfig> conv;
  std::optional<GpuOpPlan> gpu_op;
  v1::DataType dtype = v1::DATA_TYPE_FP32;
  int64_t input_bytes = 0;          // read from the activation buffer the previous layer wrote
  int64_t output_bytes = 0;         // written to the other one
  std::vector<int64_t> side_bytes;  // own buffers: the filter, or the op's other operands
};

struct GpuNetworkPlan {
  std::vector<GpuLayerPlan> layers;
  std::vector<std::string> skipped;  // "name: why"
  int64_t activation_bytes = 0;      // each of the two alternating buffers: the largest input or output
};

GpuNetworkPlan PlanGpuNetwork(const std::vector<model::NetworkLayer>& layers, const GpuNetworkOverrides& overrides);

}  // namespace convlat::agent
