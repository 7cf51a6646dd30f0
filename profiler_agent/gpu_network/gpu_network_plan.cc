#include "profiler_agent/gpu_network/gpu_network_plan.h"

#include <algorithm>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace convlat::agent {
namespace {

absl::StatusOr<GpuLayerPlan> PlanConv(const model::NetworkLayer& layer, const GpuNetworkOverrides& overrides) {
  v1::ConvParams params = *layer.conv;
  if (overrides.layout != v1::LAYOUT_UNSPECIFIED) params.set_layout(overrides.layout);
  if (overrides.dtype != v1::DATA_TYPE_UNSPECIFIED) {
    params.set_dtype(overrides.dtype);
    if (overrides.dtype == v1::DATA_TYPE_FP16 || overrides.dtype == v1::DATA_TYPE_BF16) {
      params.set_math_mode(v1::MATH_MODE_TENSOR_OP);
    }
  }
  absl::StatusOr<CudnnConvConfig> config = MakeCudnnConvConfig(params);
  if (!config.ok()) return config.status();
  GpuLayerPlan plan{.name = layer.name, .op = layer.op, .conv = *config, .dtype = config->dtype};
  plan.input_bytes = config->input_bytes();
  plan.output_bytes = config->output_bytes();
  plan.side_bytes = {config->filter_bytes()};
  return plan;
}

absl::StatusOr<GpuLayerPlan> PlanOp(const model::NetworkLayer& layer, const GpuNetworkOverrides& overrides) {
  v1::OpParams params = *layer.op_params;
  if (overrides.layout != v1::LAYOUT_UNSPECIFIED) params.set_layout(overrides.layout);
  if (overrides.dtype != v1::DATA_TYPE_UNSPECIFIED) params.set_dtype(overrides.dtype);
  absl::StatusOr<GpuOpPlan> op = PlanGpuOp(params);
  if (!op.ok()) return op.status();
  GpuLayerPlan plan{.name = layer.name, .op = layer.op, .gpu_op = *op, .dtype = op->op.dtype()};
  plan.input_bytes = op->input_bytes();
  plan.output_bytes = op->output_bytes();
  plan.side_bytes = op->side_operand_bytes();
  return plan;
}

}  // namespace

GpuNetworkPlan PlanGpuNetwork(const std::vector<model::NetworkLayer>& layers, const GpuNetworkOverrides& overrides) {
  GpuNetworkPlan network;
  for (const model::NetworkLayer& layer : layers) {
    absl::StatusOr<GpuLayerPlan> plan = layer.conv        ? PlanConv(layer, overrides)
                                        : layer.op_params ? PlanOp(layer, overrides)
                                                          : absl::UnimplementedError("not an op the agent times");
    if (!plan.ok()) {
      network.skipped.push_back(absl::StrCat(layer.name, ": ", plan.status().message()));
      continue;
    }
    network.activation_bytes = std::max({network.activation_bytes, plan->input_bytes, plan->output_bytes});
    network.layers.push_back(*std::move(plan));
  }
  return network;
}

}  // namespace convlat::agent
