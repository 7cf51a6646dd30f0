#include "profiler_agent/gpu_network/gpu_network_runner.h"

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "profiler_agent/backend/timing_stats.h"
#include "profiler_agent/cudnn/cuda_device.h"
#include "profiler_agent/cudnn/cuda_status.h"
#include "profiler_agent/cudnn/device_operands.h"
#include "profiler_agent/gpu_ops/cuda_event_timer.h"
#include "profiler_agent/gpu_ops/cudnn_conv_algorithms.h"
#include "profiler_agent/gpu_ops/gpu_op_runner.h"

namespace convlat::agent {
namespace {

constexpr int kWarmupPasses = 2;

// The stream and the cuDNN handle bound to it, destroyed with this object.
class GpuContext {
 public:
  ~GpuContext() {
    if (handle_ != nullptr) cudnnDestroy(handle_);
    if (stream_ != nullptr) cudaStreamDestroy(stream_);
  }
  absl::Status Create(int device) {
    absl::StatusOr<CudaDeviceFacts> facts = UseCudaDevice(device);
    if (!facts.ok()) return facts.status();
    facts_ = *std::move(facts);
    if (absl::Status s = CudaStatus(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
        !s.ok()) {
      return s;
    }
    if (absl::Status s = CudnnStatus(cudnnCreate(&handle_), "cudnnCreate"); !s.ok()) return s;
    return CudnnStatus(cudnnSetStream(handle_, stream_), "cudnnSetStream");
  }
  cudaStream_t stream() const { return stream_; }
  cudnnHandle_t handle() const { return handle_; }
  const CudaDeviceFacts& facts() const { return facts_; }

 private:
  CudaDeviceFacts facts_;
  cudaStream_t stream_ = nullptr;
  cudnnHandle_t handle_ = nullptr;
};

// A layer ready to enqueue: its descriptors or op runner and its own buffers.
struct PreparedLayer {
  const GpuLayerPlan* plan = nullptr;
  std::optional<CudnnConvDescriptors> conv;
  ConvCandidate candidate;
  size_t workspace_bytes = 0;
  std::optional<GpuOpRunner> op;
  std::vector<OperandSets> sides;  // one set each (random values)
  std::string implementation;
};

class NetworkExecutor {
 public:
  NetworkExecutor(const GpuContext& context, AlgoSelection algo) : context_(context), algo_(algo) {}

  absl::Status AllocateActivations(const GpuNetworkPlan& plan) {
    // Random non-zero values, as the backend's operands; the first layer reads them every pass.
    const v1::DataType dtype = plan.layers.empty() ? v1::DATA_TYPE_FP32 : plan.layers.front().dtype;
    absl::StatusOr<OperandSets> activations =
        OperandSets::CreateParts(dtype, {plan.activation_bytes, plan.activation_bytes}, /*l2_bytes=*/0, 0);
    if (!activations.ok()) return activations.status();
    activations_.emplace(*std::move(activations));
    return absl::OkStatus();
  }

  // Sets a layer up and runs it once (what cannot run is found here, not inside a timed pass).
  absl::StatusOr<PreparedLayer> Prepare(const GpuLayerPlan& plan) {
    PreparedLayer layer{.plan = &plan};
    for (int64_t bytes : plan.side_bytes) {
      absl::StatusOr<OperandSets> side = OperandSets::CreateParts(plan.dtype, {bytes}, 0, 0);
      if (!side.ok()) return side.status();
      layer.sides.push_back(*std::move(side));
    }
    if (plan.conv) {
      if (absl::Status s = CheckComputeCapability(*plan.conv, context_.facts().compute_capability_major,
                                                  context_.facts().compute_capability_minor);
          !s.ok()) {
        return s;
      }
      absl::StatusOr<CudnnConvDescriptors> descriptors = CudnnConvDescriptors::Create(*plan.conv);
      if (!descriptors.ok()) return descriptors.status();
      layer.conv.emplace(*std::move(descriptors));
      absl::StatusOr<std::vector<ConvCandidate>> candidates = ChooseConvCandidates(
          context_.handle(), algo_ == AlgoSelection::kExhaustive ? algo_ : AlgoSelection::kHeuristic, *plan.conv,
          *layer.conv, ConvBuffersOf(layer, prepared_count_));
      if (!candidates.ok()) return candidates.status();
      layer.candidate = candidates->front();
      absl::StatusOr<size_t> workspace = PrepareConvCandidate(context_.handle(), layer.candidate, *layer.conv);
      if (!workspace.ok()) return workspace.status();
      layer.workspace_bytes = *workspace;
      if (absl::Status s = GrowWorkspace(*workspace); !s.ok()) return s;
      layer.implementation = CudnnAlgorithmName(layer.candidate.algo, layer.candidate.math_type);
      if (absl::Status s = TrialRun(layer); !s.ok()) return s;
      return layer;
    }
    if (plan.dtype == v1::DATA_TYPE_BF16 && context_.facts().compute_capability_major < 8) {
      return absl::UnimplementedError("bf16 needs compute capability 8.0 or newer");
    }
    absl::Status status = PrepareOp(*plan.gpu_op, layer);
    if (!status.ok() && ShouldFallBackToKernel(*plan.gpu_op, status)) {
      // The same fallback as the backend's MeasureOp: cuDNN refused the type or layout.
      cudaGetLastError();
      absl::StatusOr<GpuOpPlan> kernel_plan = PlanGpuOp(plan.gpu_op->op, /*prefer_cudnn=*/false);
      if (!kernel_plan.ok()) return kernel_plan.status();
      status = PrepareOp(*kernel_plan, layer);
    }
    if (!status.ok()) return status;
    return layer;
  }

  void Add(PreparedLayer layer) {
    layers_.push_back(std::move(layer));
    ++prepared_count_;
  }
  const std::vector<PreparedLayer>& layers() const { return layers_; }

  // Enqueues layer `index` (its place in the prepared chain sets which buffer it reads).
  absl::Status Enqueue(size_t index) const { return Enqueue(layers_[index], index); }

 private:
  ConvBuffers ConvBuffersOf(const PreparedLayer& layer, size_t index) const {
    return {activations_->part(0, index % 2), layer.sides[0].part(0, 0), activations_->part(0, (index + 1) % 2)};
  }

  absl::Status Enqueue(const PreparedLayer& layer, size_t index) const {
    if (layer.conv) {
      return RunConvolution(context_.handle(), layer.candidate, *layer.conv, ConvBuffersOf(layer, index),
                            workspace_.data(), layer.workspace_bytes);
    }
    GpuOpOperands operands{.input = activations_->part(0, index % 2), .output = activations_->part(0, (index + 1) % 2)};
    for (const OperandSets& side : layer.sides) operands.sides.push_back(side.part(0, 0));
    return layer.op->Run(context_.handle(), context_.stream(), operands);
  }

  absl::Status PrepareOp(const GpuOpPlan& plan, PreparedLayer& layer) {
    absl::StatusOr<GpuOpRunner> runner = GpuOpRunner::Create(plan);
    if (!runner.ok()) return runner.status();
    layer.op.emplace(*std::move(runner));
    layer.implementation = plan.implementation();
    return TrialRun(layer);
  }

  absl::Status TrialRun(const PreparedLayer& layer) {
    if (absl::Status s = Enqueue(layer, prepared_count_); !s.ok()) return s;
    return CudaStatus(cudaStreamSynchronize(context_.stream()), "cudaStreamSynchronize");
  }

  // One workspace for every convolution, as large as the hungriest needs (runtimes share one).
  absl::Status GrowWorkspace(size_t bytes) {
    if (bytes <= workspace_.size()) return absl::OkStatus();
    workspace_ = DeviceBuffer();
    absl::StatusOr<DeviceBuffer> workspace = DeviceBuffer::Allocate(bytes);
    if (!workspace.ok()) return workspace.status();
    workspace_ = *std::move(workspace);
    return absl::OkStatus();
  }

  const GpuContext& context_;
  const AlgoSelection algo_;
  std::optional<OperandSets> activations_;
  DeviceBuffer workspace_;
  std::vector<PreparedLayer> layers_;
  size_t prepared_count_ = 0;
};

// `runs` timed passes after the warm-up: an event before the first layer and after each layer.
absl::Status TimePasses(const NetworkExecutor& executor, cudaStream_t stream, int runs, NetworkRun& run) {
  const size_t count = executor.layers().size();
  std::vector<CudaEvent> events;
  for (size_t i = 0; i <= count; ++i) {
    absl::StatusOr<CudaEvent> event = CudaEvent::Create();
    if (!event.ok()) return event.status();
    events.push_back(*std::move(event));
  }
  std::vector<std::vector<double>> layer_us(count);
  std::vector<double> pass_us;
  for (int pass = -kWarmupPasses; pass < runs; ++pass) {
    if (absl::Status s = CudaStatus(cudaEventRecord(events[0].get(), stream), "cudaEventRecord"); !s.ok()) return s;
    for (size_t i = 0; i < count; ++i) {
      if (absl::Status s = executor.Enqueue(i); !s.ok()) return s;
      if (absl::Status s = CudaStatus(cudaEventRecord(events[i + 1].get(), stream), "cudaEventRecord"); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = CudaStatus(cudaEventSynchronize(events[count].get()), "cudaEventSynchronize"); !s.ok()) {
      return s;
    }
    if (pass < 0) continue;
    for (size_t i = 0; i < count; ++i) {
      absl::StatusOr<float> ms = ElapsedMilliseconds(events[i], events[i + 1]);
      if (!ms.ok()) return ms.status();
      layer_us[i].push_back(*ms * 1e3);
    }
    absl::StatusOr<float> ms = ElapsedMilliseconds(events[0], events[count]);
    if (!ms.ok()) return ms.status();
    pass_us.push_back(*ms * 1e3);
  }
  run.median_us = SummarizeTimings(std::move(pass_us)).median_us();
  for (size_t i = 0; i < count; ++i) run.layers[i].median_us = SummarizeTimings(std::move(layer_us[i])).median_us();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NetworkRun> RunNetworkOnGpu(const std::vector<model::NetworkLayer>& layers,
                                           const GpuNetworkOptions& options) {
  GpuContext context;
  if (absl::Status s = context.Create(options.device); !s.ok()) return s;
  const GpuNetworkPlan plan = PlanGpuNetwork(layers, options.overrides);
  NetworkRun run;
  run.skipped = plan.skipped;
  NetworkExecutor executor(context, options.algo);
  if (absl::Status s = executor.AllocateActivations(plan); !s.ok()) return s;
  for (const GpuLayerPlan& layer : plan.layers) {
    absl::StatusOr<PreparedLayer> prepared = executor.Prepare(layer);
    if (!prepared.ok()) {
      cudaGetLastError();  // a non-sticky error (unsupported, out of memory) must not fail the next layer
      run.skipped.push_back(absl::StrCat(layer.name, ": ", prepared.status().message()));
      continue;
    }
    run.layers.push_back({.name = layer.name, .op = layer.op, .implementation = prepared->implementation});
    executor.Add(*std::move(prepared));
  }
  if (run.layers.empty()) return absl::FailedPreconditionError("no layer of the network runs on this GPU");
  if (absl::Status s = TimePasses(executor, context.stream(), std::max(1, options.runs), run); !s.ok()) return s;
  return run;
}

}  // namespace convlat::agent
