#pragma once
// Executes one planned op (gpu_op_plan.h) on the GPU: the cuDNN primitive with its legacy
// descriptors, or the project's own kernel. Used both to time an op alone (the cudnn backend's
// MeasureOp) and inside a whole network (the GPU network runner), so both run the same code.

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "profiler_agent/gpu_ops/gpu_op_plan.h"

namespace convlat::agent {

// Device pointers of one run: the (first) input, the other operands in the order of
// GpuOpPlan::side_operand_bytes(), and the output.
struct GpuOpOperands {
  const void* input = nullptr;
  std::vector<const void*> sides;
  void* output = nullptr;
};

class GpuOpRunner {
 public:
  // Builds the op's cuDNN descriptors: host-only work, but it needs libcudnn (not a GPU). For a
  // pooling op, checks that cuDNN computes the output shape convlat does.
  static absl::StatusOr<GpuOpRunner> Create(const GpuOpPlan& plan);

  GpuOpRunner(GpuOpRunner&&) noexcept;
  GpuOpRunner& operator=(GpuOpRunner&&) noexcept;
  ~GpuOpRunner();

  // Enqueues one run on `stream` (which `handle` is bound to); does not wait for it. Errors name
  // the cuDNN call or the kernel launch that failed.
  absl::Status Run(cudnnHandle_t handle, cudaStream_t stream, const GpuOpOperands& operands) const;

  const GpuOpPlan& plan() const;

 private:
  struct Descriptors;
  explicit GpuOpRunner(std::unique_ptr<Descriptors> descriptors);
  std::unique_ptr<Descriptors> d_;
};

}  // namespace convlat::agent
