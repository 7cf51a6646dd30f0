#include "profiler_agent/cudnn/cudnn_backend.h"

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "profiler_agent/cudnn/cuda_device.h"
#include "profiler_agent/cudnn/cuda_status.h"
#include "profiler_agent/cudnn/cudnn_descriptors.h"
#include "profiler_agent/cudnn/cupti_recorder.h"
#include "profiler_agent/cudnn/device_operands.h"
#include "profiler_agent/gpu_ops/cuda_event_timer.h"
#include "profiler_agent/gpu_ops/cudnn_conv_algorithms.h"
#include "profiler_agent/gpu_ops/gpu_op_plan.h"
#include "profiler_agent/gpu_ops/gpu_op_runner.h"
#include "profiler_agent/noise/nvml_sm_clock.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

v1::Measurement Failed(v1::Measurement measurement, const absl::Status& status) {
  measurement.set_failed(true);
  measurement.set_failure_reason(std::string(status.message()));
  measurement.clear_latency();
  measurement.clear_kernels();
  return measurement;
}

class CudnnBackend final : public ConvBackend {
 public:
  CudnnBackend(AlgoSelection algo, CudaDeviceFacts facts, cudnnHandle_t handle, cudaStream_t stream,
               std::unique_ptr<CuptiKernelRecorder> recorder, std::unique_ptr<NvmlSmClock> sm_clock)
      : algo_(algo),
        facts_(std::move(facts)),
        handle_(handle),
        stream_(stream),
        recorder_(std::move(recorder)),
        sm_clock_(std::move(sm_clock)) {}

  ~CudnnBackend() override {
    recorder_.reset();
    cudnnDestroy(handle_);
    cudaStreamDestroy(stream_);
  }

  std::string name() const override { return "cudnn"; }

  absl::StatusOr<v1::Platform> DescribePlatform() override { return PlatformFromDeviceFacts(facts_); }

  int SmClockMhz() override { return sm_clock_ != nullptr ? sm_clock_->CurrentMhz() : 0; }

  std::vector<v1::Measurement> Measure(const v1::ConvParams& params, const TimingOptions& timing) override {
    v1::Measurement base;
    *base.mutable_params() = params;
    base.set_backend(name());
    *base.mutable_measured_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    absl::StatusOr<CudnnConvConfig> config = MakeCudnnConvConfig(params);
    if (!config.ok()) return {Failed(base, config.status())};
    if (absl::Status s =
            CheckComputeCapability(*config, facts_.compute_capability_major, facts_.compute_capability_minor);
        !s.ok()) {
      return {Failed(base, s)};
    }
    absl::StatusOr<std::vector<v1::Measurement>> measured = MeasureConfig(*config, base, timing);
    if (!measured.ok()) {
      cudaGetLastError();  // clears a non-sticky error (e.g. out of memory) for the next config
      return {Failed(base, measured.status())};
    }
    return *std::move(measured);
  }

  // Pooling, activations, arithmetic, ... as cuDNN primitives or the project's kernels
  // (gpu_ops/gpu_op_plan.h), timed by the same protocol as the convolutions.
  v1::Measurement MeasureOp(const v1::OpParams& op, const TimingOptions& timing) override {
    v1::Measurement measurement;
    *measurement.mutable_op() = op;
    measurement.set_backend(name());
    *measurement.mutable_measured_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    absl::Status status = MeasureOpOrFallBack(op, timing, measurement);
    if (!status.ok()) {
      cudaGetLastError();
      return Failed(std::move(measurement), status);
    }
    return measurement;
  }

 private:
  absl::StatusOr<std::vector<v1::Measurement>> MeasureConfig(const CudnnConvConfig& config, const v1::Measurement& base,
                                                             const TimingOptions& timing) {
    absl::StatusOr<CudnnConvDescriptors> descriptors = CudnnConvDescriptors::Create(config);
    if (!descriptors.ok()) return descriptors.status();
    absl::StatusOr<OperandSets> operands =
        AllocateOperands(config.dtype, {config.input_bytes(), config.filter_bytes(), config.output_bytes()});
    if (!operands.ok()) return operands.status();
    const ConvBuffers first{operands->input(0), operands->filter(0), operands->output(0)};
    absl::StatusOr<std::vector<ConvCandidate>> candidates =
        ChooseConvCandidates(handle_, algo_, config, *descriptors, first);
    if (!candidates.ok()) return candidates.status();
    std::vector<v1::Measurement> measurements;
    for (const ConvCandidate& candidate : *candidates) {
      v1::Measurement measurement = base;
      measurement.set_algorithm(CudnnAlgorithmName(candidate.algo, candidate.math_type));
      if (absl::Status s = TimeCandidate(candidate, *descriptors, *operands, timing, measurement); !s.ok()) {
        cudaGetLastError();
        measurement = Failed(std::move(measurement), s);
      }
      measurements.push_back(std::move(measurement));
    }
    return measurements;
  }

  // Half the free memory for rotated operands, the rest for workspaces.
  absl::StatusOr<OperandSets> AllocateOperands(v1::DataType dtype, const std::vector<int64_t>& part_bytes) {
    size_t free_bytes = 0, total_bytes = 0;
    if (absl::Status s = CudaStatus(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo"); !s.ok()) return s;
    return OperandSets::CreateParts(dtype, part_bytes, facts_.l2_cache_bytes, static_cast<int64_t>(free_bytes / 2));
  }

  absl::Status TimeCandidate(const ConvCandidate& candidate, CudnnConvDescriptors& d, const OperandSets& operands,
                             const TimingOptions& timing, v1::Measurement& measurement) {
    absl::StatusOr<size_t> workspace_bytes = PrepareConvCandidate(handle_, candidate, d);
    if (!workspace_bytes.ok()) return workspace_bytes.status();
    absl::StatusOr<DeviceBuffer> workspace = DeviceBuffer::Allocate(*workspace_bytes);
    if (!workspace.ok()) return workspace.status();
    measurement.set_workspace_bytes(static_cast<int64_t>(*workspace_bytes));
    auto run = [&](int set) {
      return RunConvolution(handle_, candidate, d, {operands.input(set), operands.filter(set), operands.output(set)},
                            workspace->data(), workspace->size());
    };
    absl::StatusOr<v1::LatencyStats> latency = TimeRunsOnStream(stream_, timing, run);
    if (!latency.ok()) return latency.status();
    *measurement.mutable_latency() = *std::move(latency);
    return RecordKernels([&] { return run(0); }, measurement);
  }

  // cuDNN's primitive first; an activation or arithmetic op cuDNN refuses (a data type or layout
  // its legacy primitive lacks) is timed with the project's kernel, and the algorithm says so.
  absl::Status MeasureOpOrFallBack(const v1::OpParams& op, const TimingOptions& timing, v1::Measurement& measurement) {
    absl::StatusOr<GpuOpPlan> plan = PlanGpuOp(op);
    if (!plan.ok()) return plan.status();
    absl::Status status = TimeOp(*plan, timing, measurement);
    if (status.ok() || !ShouldFallBackToKernel(*plan, status)) return status;
    cudaGetLastError();
    spdlog::info("{} refused {}; timing the project's kernel instead", plan->implementation(),
                 std::string(status.message()));
    plan = PlanGpuOp(op, /*prefer_cudnn=*/false);
    if (!plan.ok()) return plan.status();
    measurement.clear_latency();
    measurement.clear_kernels();
    return TimeOp(*plan, timing, measurement);
  }

  absl::Status TimeOp(const GpuOpPlan& plan, const TimingOptions& timing, v1::Measurement& measurement) {
    if (plan.op.dtype() == v1::DATA_TYPE_BF16 && facts_.compute_capability_major < 8) {
      return absl::UnimplementedError("bf16 needs compute capability 8.0 or newer");
    }
    measurement.set_algorithm(plan.implementation());
    absl::StatusOr<GpuOpRunner> runner = GpuOpRunner::Create(plan);
    if (!runner.ok()) return runner.status();
    std::vector<int64_t> parts = {plan.input_bytes()};
    for (int64_t side : plan.side_operand_bytes()) parts.push_back(side);
    parts.push_back(plan.output_bytes());
    absl::StatusOr<OperandSets> operands = AllocateOperands(plan.op.dtype(), parts);
    if (!operands.ok()) return operands.status();
    auto run = [&](int set) {
      GpuOpOperands o{.input = operands->part(set, 0), .output = operands->part(set, operands->parts() - 1)};
      for (int i = 1; i + 1 < operands->parts(); ++i) o.sides.push_back(operands->part(set, i));
      return runner->Run(handle_, stream_, o);
    };
    absl::StatusOr<v1::LatencyStats> latency = TimeRunsOnStream(stream_, timing, run);
    if (!latency.ok()) return latency.status();
    *measurement.mutable_latency() = *std::move(latency);
    return RecordKernels([&] { return run(0); }, measurement);
  }

  // One more run, outside the timed ones, with CUPTI recording every kernel it launches.
  absl::Status RecordKernels(absl::FunctionRef<absl::Status()> run_once, v1::Measurement& measurement) {
    if (recorder_ == nullptr) return absl::OkStatus();
    if (absl::Status s = recorder_->Start(); !s.ok()) return s;
    absl::Status ran = run_once();
    absl::StatusOr<std::vector<KernelActivity>> kernels = recorder_->Stop();
    if (!ran.ok()) return ran;
    if (!kernels.ok()) return kernels.status();
    for (const KernelActivity& kernel : *kernels) *measurement.add_kernels() = ToKernelRecord(kernel);
    return absl::OkStatus();
  }

  const AlgoSelection algo_;
  const CudaDeviceFacts facts_;
  cudnnHandle_t handle_;
  cudaStream_t stream_;
  std::unique_ptr<CuptiKernelRecorder> recorder_;  // null when CUPTI is unavailable
  std::unique_ptr<NvmlSmClock> sm_clock_;          // null when NVML is unavailable
};

}  // namespace

absl::StatusOr<std::unique_ptr<ConvBackend>> MakeCudnnBackend(AlgoSelection algo, int device) {
  absl::StatusOr<CudaDeviceFacts> facts = UseCudaDevice(device);
  if (!facts.ok()) return facts.status();

  cudaStream_t stream = nullptr;
  if (absl::Status s = CudaStatus(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
      !s.ok()) {
    return s;
  }
  cudnnHandle_t handle = nullptr;
  absl::Status status = CudnnStatus(cudnnCreate(&handle), "cudnnCreate");
  if (status.ok()) status = CudnnStatus(cudnnSetStream(handle, stream), "cudnnSetStream");
  if (!status.ok()) {
    if (handle != nullptr) cudnnDestroy(handle);
    cudaStreamDestroy(stream);
    return status;
  }
  // Timings stand without kernel records, so a CUPTI that cannot record (no permission, another
  // profiler attached) costs the kernel lists only.
  absl::StatusOr<std::unique_ptr<CuptiKernelRecorder>> recorder = CuptiKernelRecorder::Create();
  if (!recorder.ok()) {
    spdlog::warn("CUPTI kernel recording unavailable, measurements will carry no kernel records: {}",
                 recorder.status().ToString());
  }
  // Throttling is caught only where the driver's NVML answers; the timings stand without it.
  absl::StatusOr<std::unique_ptr<NvmlSmClock>> sm_clock = NvmlSmClock::Open(facts->pci_bus_id);
  if (!sm_clock.ok()) {
    spdlog::warn("the GPU's SM clock cannot be read, so throttling during a measurement goes unseen: {}",
                 std::string(sm_clock.status().message()));
  }
  return std::unique_ptr<ConvBackend>(new CudnnBackend(algo, *std::move(facts), handle, stream,
                                                       recorder.ok() ? *std::move(recorder) : nullptr,
                                                       sm_clock.ok() ? *std::move(sm_clock) : nullptr));
}

}  // namespace convlat::agent
