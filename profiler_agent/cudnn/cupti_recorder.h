#pragma once
// The GPU kernels a convolution launched, recorded through CUPTI's activity API.

#include <cupti_activity.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"

namespace convlat::agent {

// One kernel execution as CUPTI reported it, copied out of CUPTI's buffer.
struct KernelActivity {
  std::string name;  // as CUPTI gives it: mangled for C++ kernels
  uint32_t grid_x = 0, grid_y = 0, grid_z = 0;
  uint32_t block_x = 0, block_y = 0, block_z = 0;
  int registers_per_thread = 0;
  int static_shared_memory_bytes = 0;
  int dynamic_shared_memory_bytes = 0;
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
};

// The rest up to CuptiKernelRecorder is pure and needs no GPU.

// Copies what convlat keeps from a CUPTI kernel record (the record layout of this CUPTI version).
KernelActivity KernelActivityFromCupti(const CUpti_ActivityKernel10& record);

// The demangled name of a C++ kernel ("_Z..."), or `name` unchanged when it is not mangled
// (cuDNN's extern "C" kernels such as sm90_xmma_...) or does not demangle.
std::string DemangleKernelName(absl::string_view name);

// Name demangled, grid and block, registers, shared memory and duration in microseconds.
v1::KernelRecord ToKernelRecord(const KernelActivity& activity);

// Records the kernels launched between Start() and Stop(). CUPTI's activity API is process-wide,
// so at most one recorder exists at a time. Recording is off outside Start/Stop so that it never
// adds its overhead to timed runs.
class CuptiKernelRecorder {
 public:
  // FAILED_PRECONDITION while another recorder exists.
  static absl::StatusOr<std::unique_ptr<CuptiKernelRecorder>> Create();
  ~CuptiKernelRecorder();
  CuptiKernelRecorder(const CuptiKernelRecorder&) = delete;
  CuptiKernelRecorder& operator=(const CuptiKernelRecorder&) = delete;

  absl::Status Start();
  // Waits for the device, flushes CUPTI's buffers and returns the kernels in launch order.
  absl::StatusOr<std::vector<KernelActivity>> Stop();

 private:
  CuptiKernelRecorder() = default;
  bool recording_ = false;
};

}  // namespace convlat::agent
