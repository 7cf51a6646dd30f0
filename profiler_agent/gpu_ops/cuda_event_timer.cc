#include "profiler_agent/gpu_ops/cuda_event_timer.h"

#include <algorithm>
#include <chrono>
#include <utility>
#include <vector>

#include "profiler_agent/backend/timing_stats.h"
#include "profiler_agent/cudnn/cuda_status.h"

namespace convlat::agent {
namespace {

// Repetitions queued back to back between two host synchronisations: the GPU never idles
// between them (as it does not inside a network), and the host pays one wait per chunk.
constexpr int kMaxRunsPerChunk = 16;

}  // namespace

absl::StatusOr<CudaEvent> CudaEvent::Create() {
  CudaEvent event;
  if (absl::Status s = CudaStatus(cudaEventCreate(&event.event_), "cudaEventCreate"); !s.ok()) return s;
  return event;
}

CudaEvent::CudaEvent(CudaEvent&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}

CudaEvent::~CudaEvent() {
  if (event_ != nullptr) cudaEventDestroy(event_);
}

absl::StatusOr<float> ElapsedMilliseconds(const CudaEvent& start, const CudaEvent& end) {
  float milliseconds = 0;
  if (absl::Status s = CudaStatus(cudaEventElapsedTime(&milliseconds, start.get(), end.get()), "cudaEventElapsedTime");
      !s.ok()) {
    return s;
  }
  return milliseconds;
}

absl::StatusOr<v1::LatencyStats> TimeRunsOnStream(cudaStream_t stream, const TimingOptions& timing,
                                                  absl::FunctionRef<absl::Status(int)> enqueue_run) {
  int next_run = 0;
  const auto warmup_start = std::chrono::steady_clock::now();
  const int warmup_runs = std::max(1, timing.warmup_runs);
  for (int i = 0; i < warmup_runs; ++i) {
    if (absl::Status s = enqueue_run(next_run++); !s.ok()) return s;
  }
  if (absl::Status s = CudaStatus(cudaStreamSynchronize(stream), "cudaStreamSynchronize(warm-up)"); !s.ok()) return s;
  // One run's cost, to size the chunks so the time limits are not overshot: first guessed from
  // the warm-up (which may include a library's one-off setup), then taken from the timed runs.
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
    if (absl::Status s = CudaStatus(cudaEventRecord(events[0].get(), stream), "cudaEventRecord"); !s.ok()) return s;
    for (int i = 0; i < chunk; ++i) {
      if (absl::Status s = enqueue_run(next_run++); !s.ok()) return s;
      if (absl::Status s = CudaStatus(cudaEventRecord(events[i + 1].get(), stream), "cudaEventRecord"); !s.ok()) {
        return s;
      }
    }
    if (absl::Status s = CudaStatus(cudaEventSynchronize(events[chunk].get()), "cudaEventSynchronize"); !s.ok()) {
      return s;
    }
    double chunk_seconds = 0;
    for (int i = 0; i < chunk; ++i) {
      absl::StatusOr<float> milliseconds = ElapsedMilliseconds(events[i], events[i + 1]);
      if (!milliseconds.ok()) return milliseconds.status();
      samples_us.push_back(*milliseconds * 1e3);
      chunk_seconds += *milliseconds / 1e3;
    }
    seconds_per_run = chunk_seconds / chunk;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  return SummarizeTimings(std::move(samples_us));
}

}  // namespace convlat::agent
