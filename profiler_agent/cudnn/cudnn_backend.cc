#include "profiler_agent/cudnn/cudnn_backend.h"

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "profiler_agent/backend/timing_stats.h"
#include "profiler_agent/cudnn/cuda_device.h"
#include "profiler_agent/cudnn/cuda_status.h"
#include "profiler_agent/cudnn/cudnn_descriptors.h"
#include "profiler_agent/cudnn/cupti_recorder.h"
#include "profiler_agent/cudnn/device_operands.h"
#include "spdlog/spdlog.h"

namespace convlat::agent {
namespace {

// Repetitions queued back to back between two host synchronisations: the GPU never idles
// between them (as it does not inside a network), and the host pays one wait per chunk.
constexpr int kMaxRunsPerChunk = 16;

// An algorithm to time and the math type cuDNN chose or benchmarked it with.
struct Candidate {
  cudnnConvolutionFwdAlgo_t algo;
  cudnnMathType_t math_type;
};

// A CUDA event, destroyed with this object.
class CudaEvent {
 public:
  static absl::StatusOr<CudaEvent> Create() {
    CudaEvent event;
    if (absl::Status s = CudaStatus(cudaEventCreate(&event.event_), "cudaEventCreate"); !s.ok()) return s;
    return event;
  }
  CudaEvent(CudaEvent&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  CudaEvent& operator=(CudaEvent&&) = delete;
  ~CudaEvent() {
    if (event_ != nullptr) cudaEventDestroy(event_);
  }
  cudaEvent_t get() const { return event_; }

 private:
  CudaEvent() = default;
  cudaEvent_t event_ = nullptr;
};

// cuDNN reports the math type it ranked or benchmarked an algorithm with, and that is the one to
// run it with, except that it may report tensor-op math for an fp32 convolution whose descriptor
// asked for FMA only (frameworks override it back the same way): the default math mode promises
// no tensor cores, so FMA is kept then.
Candidate CandidateOf(const CudnnConvConfig& config, const cudnnConvolutionFwdAlgoPerf_t& perf) {
  return {perf.algo, config.math_type == CUDNN_FMA_MATH ? CUDNN_FMA_MATH : perf.mathType};
}

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
               std::unique_ptr<CuptiKernelRecorder> recorder)
      : algo_(algo), facts_(std::move(facts)), handle_(handle), stream_(stream), recorder_(std::move(recorder)) {}

  ~CudnnBackend() override {
    recorder_.reset();
    cudnnDestroy(handle_);
    cudaStreamDestroy(stream_);
  }

  std::string name() const override { return "cudnn"; }

  absl::StatusOr<v1::Platform> DescribePlatform() override { return PlatformFromDeviceFacts(facts_); }

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

  // GPU ops other than convolutions are not timed yet: the server then estimates them from the
  // platform's peak bandwidth. A failed measurement says so (and keeps the sweep from retrying).
  v1::Measurement MeasureOp(const v1::OpParams& op, const TimingOptions&) override {
    v1::Measurement base;
    *base.mutable_op() = op;
    base.set_backend(name());
    *base.mutable_measured_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
    return Failed(base, absl::UnimplementedError("the cudnn backend times convolutions only; ops other than "
                                                 "convolutions are not profiled on GPUs yet"));
  }

 private:
  absl::StatusOr<std::vector<v1::Measurement>> MeasureConfig(const CudnnConvConfig& config, const v1::Measurement& base,
                                                             const TimingOptions& timing) {
    absl::StatusOr<CudnnConvDescriptors> descriptors = CudnnConvDescriptors::Create(config);
    if (!descriptors.ok()) return descriptors.status();
    size_t free_bytes = 0, total_bytes = 0;
    if (absl::Status s = CudaStatus(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo"); !s.ok()) return s;
    // Half the free memory for rotated operands, the rest for workspaces.
    absl::StatusOr<OperandSets> operands =
        OperandSets::Create(config.dtype, config.input_bytes(), config.filter_bytes(), config.output_bytes(),
                            facts_.l2_cache_bytes, static_cast<int64_t>(free_bytes / 2));
    if (!operands.ok()) return operands.status();

    absl::StatusOr<std::vector<Candidate>> candidates = ChooseCandidates(config, *descriptors, *operands);
    if (!candidates.ok()) return candidates.status();
    std::vector<v1::Measurement> measurements;
    for (const Candidate& candidate : *candidates) {
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

  // What cuDNN's heuristics rank, in their order, keeping only those it says can run.
  absl::StatusOr<std::vector<cudnnConvolutionFwdAlgoPerf_t>> HeuristicRanking(const CudnnConvDescriptors& d) {
    int max_count = 0;
    if (absl::Status s = CudnnStatus(cudnnGetConvolutionForwardAlgorithmMaxCount(handle_, &max_count),
                                     "cudnnGetConvolutionForwardAlgorithmMaxCount");
        !s.ok()) {
      return s;
    }
    std::vector<cudnnConvolutionFwdAlgoPerf_t> ranking(std::max(1, max_count));
    int returned = 0;
    if (absl::Status s = CudnnStatus(
            cudnnGetConvolutionForwardAlgorithm_v7(handle_, d.input(), d.filter(), d.convolution(), d.output(),
                                                   static_cast<int>(ranking.size()), &returned, ranking.data()),
            "cudnnGetConvolutionForwardAlgorithm_v7");
        !s.ok()) {
      return s;
    }
    ranking.resize(returned);
    std::erase_if(ranking, [](const cudnnConvolutionFwdAlgoPerf_t& p) { return p.status != CUDNN_STATUS_SUCCESS; });
    return ranking;
  }

  absl::StatusOr<std::vector<Candidate>> ChooseCandidates(const CudnnConvConfig& config, const CudnnConvDescriptors& d,
                                                          const OperandSets& operands) {
    absl::StatusOr<std::vector<cudnnConvolutionFwdAlgoPerf_t>> ranking = HeuristicRanking(d);
    if (!ranking.ok()) return ranking.status();
    if (ranking->empty()) {
      return absl::UnimplementedError("not supported: cuDNN has no forward algorithm for this configuration");
    }
    std::vector<Candidate> candidates;
    switch (algo_) {
      case AlgoSelection::kHeuristic: candidates.push_back(CandidateOf(config, ranking->front())); break;
      case AlgoSelection::kAll:
        for (const cudnnConvolutionFwdAlgoPerf_t& perf : *ranking) {
          const Candidate candidate = CandidateOf(config, perf);
          const bool seen = std::any_of(candidates.begin(), candidates.end(), [&](const Candidate& c) {
            return c.algo == candidate.algo && c.math_type == candidate.math_type;
          });
          if (!seen) candidates.push_back(candidate);
        }
        break;
      case AlgoSelection::kExhaustive: {
        absl::StatusOr<Candidate> fastest = FindFastest(config, d, operands, *ranking);
        if (!fastest.ok()) return fastest.status();
        candidates.push_back(*fastest);
        break;
      }
    }
    return candidates;
  }

  // cudnnFindConvolutionForwardAlgorithmEx on the real buffers, with a workspace as large as the
  // hungriest candidate needs (within free memory); the fastest that ran wins.
  absl::StatusOr<Candidate> FindFastest(const CudnnConvConfig& config, const CudnnConvDescriptors& d,
                                        const OperandSets& operands,
                                        const std::vector<cudnnConvolutionFwdAlgoPerf_t>& ranking) {
    size_t wanted = 0;
    for (const cudnnConvolutionFwdAlgoPerf_t& perf : ranking) wanted = std::max(wanted, perf.memory);
    size_t free_bytes = 0, total_bytes = 0;
    if (absl::Status s = CudaStatus(cudaMemGetInfo(&free_bytes, &total_bytes), "cudaMemGetInfo"); !s.ok()) return s;
    absl::StatusOr<DeviceBuffer> workspace = DeviceBuffer::Allocate(std::min(wanted, free_bytes / 2));
    if (!workspace.ok()) return workspace.status();
    std::vector<cudnnConvolutionFwdAlgoPerf_t> results(CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
    int returned = 0;
    if (absl::Status s =
            CudnnStatus(cudnnFindConvolutionForwardAlgorithmEx(
                            handle_, d.input(), operands.input(0), d.filter(), operands.filter(0), d.convolution(),
                            d.output(), operands.output(0), static_cast<int>(results.size()), &returned, results.data(),
                            workspace->data(), workspace->size()),
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

  absl::Status RunOnce(const Candidate& candidate, const CudnnConvDescriptors& d, const OperandSets& operands, int set,
                       const DeviceBuffer& workspace) {
    // alpha and beta are float for float, half and bfloat16 data.
    const float alpha = 1.0f, beta = 0.0f;
    return CudnnStatus(cudnnConvolutionForward(handle_, &alpha, d.input(), operands.input(set), d.filter(),
                                               operands.filter(set), d.convolution(), candidate.algo, workspace.data(),
                                               workspace.size(), &beta, d.output(), operands.output(set)),
                       "cudnnConvolutionForward");
  }

  absl::Status TimeCandidate(const Candidate& candidate, CudnnConvDescriptors& d, const OperandSets& operands,
                             const TimingOptions& timing, v1::Measurement& measurement) {
    if (absl::Status s = d.SetMathType(candidate.math_type); !s.ok()) return s;
    size_t workspace_bytes = 0;
    if (absl::Status s =
            CudnnStatus(cudnnGetConvolutionForwardWorkspaceSize(handle_, d.input(), d.filter(), d.convolution(),
                                                                d.output(), candidate.algo, &workspace_bytes),
                        "cudnnGetConvolutionForwardWorkspaceSize");
        !s.ok()) {
      return s;
    }
    absl::StatusOr<DeviceBuffer> workspace = DeviceBuffer::Allocate(workspace_bytes);
    if (!workspace.ok()) return workspace.status();
    measurement.set_workspace_bytes(static_cast<int64_t>(workspace_bytes));

    int next_set = 0;
    const auto warmup_start = std::chrono::steady_clock::now();
    const int warmup_runs = std::max(1, timing.warmup_runs);
    for (int i = 0; i < warmup_runs; ++i) {
      if (absl::Status s = RunOnce(candidate, d, operands, next_set++, *workspace); !s.ok()) return s;
    }
    if (absl::Status s = CudaStatus(cudaStreamSynchronize(stream_), "cudaStreamSynchronize(warm-up)"); !s.ok()) {
      return s;
    }
    // One run's cost, to size the chunks so the time limits are not overshot: first guessed from
    // the warm-up (which may include cuDNN's one-off setup), then taken from the timed runs.
    double seconds_per_run =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - warmup_start).count() / warmup_runs;

    std::vector<CudaEvent> events;
    for (int i = 0; i <= kMaxRunsPerChunk; ++i) {
      absl::StatusOr<CudaEvent> event = CudaEvent::Create();
      if (!event.ok()) return event.status();
      events.push_back(*std::move(event));
    }
    std::vector<double> samples_us;
    const auto start = std::chrono::steady_clock::now();
    double elapsed = 0;
    while (WantsAnotherRun(timing, static_cast<int>(samples_us.size()), elapsed)) {
      const int chunk =
          RunsInNextChunk(timing, static_cast<int>(samples_us.size()), elapsed, seconds_per_run, kMaxRunsPerChunk);
      // Event i marks the start of run i and the end of run i - 1.
      if (absl::Status s = CudaStatus(cudaEventRecord(events[0].get(), stream_), "cudaEventRecord"); !s.ok()) return s;
      for (int i = 0; i < chunk; ++i) {
        if (absl::Status s = RunOnce(candidate, d, operands, next_set++, *workspace); !s.ok()) return s;
        if (absl::Status s = CudaStatus(cudaEventRecord(events[i + 1].get(), stream_), "cudaEventRecord"); !s.ok()) {
          return s;
        }
      }
      if (absl::Status s = CudaStatus(cudaEventSynchronize(events[chunk].get()), "cudaEventSynchronize"); !s.ok()) {
        return s;
      }
      double chunk_seconds = 0;
      for (int i = 0; i < chunk; ++i) {
        float milliseconds = 0;
        if (absl::Status s = CudaStatus(cudaEventElapsedTime(&milliseconds, events[i].get(), events[i + 1].get()),
                                        "cudaEventElapsedTime");
            !s.ok()) {
          return s;
        }
        samples_us.push_back(milliseconds * 1e3);
        chunk_seconds += milliseconds / 1e3;
      }
      seconds_per_run = chunk_seconds / chunk;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    *measurement.mutable_latency() = SummarizeTimings(std::move(samples_us));
    return RecordKernels(candidate, d, operands, *workspace, measurement);
  }

  // One more run, outside the timed ones, with CUPTI recording every kernel it launches.
  absl::Status RecordKernels(const Candidate& candidate, const CudnnConvDescriptors& d, const OperandSets& operands,
                             const DeviceBuffer& workspace, v1::Measurement& measurement) {
    if (recorder_ == nullptr) return absl::OkStatus();
    if (absl::Status s = recorder_->Start(); !s.ok()) return s;
    absl::Status ran = RunOnce(candidate, d, operands, 0, workspace);
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
};

}  // namespace

absl::StatusOr<std::unique_ptr<ConvBackend>> MakeCudnnBackend(AlgoSelection algo, int device) {
  absl::StatusOr<int> devices = CountCudaDevices();
  if (!devices.ok()) return devices.status();
  if (device < 0 || device >= *devices) {
    return absl::FailedPreconditionError(
        absl::StrCat("no usable CUDA GPU: device ", device, " requested, ", *devices, " found"));
  }
  if (absl::Status s = CudaStatus(cudaSetDevice(device), "cudaSetDevice"); !s.ok()) return s;
  absl::StatusOr<CudaDeviceFacts> facts = QueryCudaDevice(device);
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
  return std::unique_ptr<ConvBackend>(
      new CudnnBackend(algo, *std::move(facts), handle, stream, recorder.ok() ? *std::move(recorder) : nullptr));
}

}  // namespace convlat::agent
