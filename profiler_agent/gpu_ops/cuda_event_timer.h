#pragma once
// The GPU side of the shared timing protocol (backend/repetition_rule.h): warm-up, then runs
// queued back to back on a stream in chunks, each run between two CUDA events, until the
// repetition rule is satisfied. Convolutions and the other ops are timed by this one loop.

#include <cuda_runtime_api.h>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "profiler_agent/backend/repetition_rule.h"

namespace convlat::agent {

// A CUDA event, destroyed with this object.
class CudaEvent {
 public:
  static absl::StatusOr<CudaEvent> Create();
  CudaEvent(CudaEvent&& other) noexcept;
  CudaEvent& operator=(CudaEvent&&) = delete;
  ~CudaEvent();
  cudaEvent_t get() const { return event_; }

 private:
  CudaEvent() = default;
  cudaEvent_t event_ = nullptr;
};

// Milliseconds between two recorded, completed events (cudaEventElapsedTime).
absl::StatusOr<float> ElapsedMilliseconds(const CudaEvent& start, const CudaEvent& end);

// Calls `enqueue_run(i)` for run i = 0, 1, ... (warm-up runs first); each call enqueues one run on
// `stream` without waiting (a caller rotating operand sets uses i to pick the next one). Returns
// the timed runs' statistics; the first failing call or CUDA error ends it.
absl::StatusOr<v1::LatencyStats> TimeRunsOnStream(cudaStream_t stream, const TimingOptions& timing,
                                                  absl::FunctionRef<absl::Status(int)> enqueue_run);

}  // namespace convlat::agent
