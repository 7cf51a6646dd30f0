#pragma once
// What the CUDA runtime and cuDNN say about a GPU, and the Platform the agent registers for it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"

namespace convlat::agent {

struct CudaDeviceFacts {
  std::string name;
  int multiprocessor_count = 0;
  int core_clock_khz = 0;    // peak
  int memory_clock_khz = 0;  // peak
  int memory_bus_width_bits = 0;
  int64_t l2_cache_bytes = 0;
  int64_t memory_bytes = 0;
  int compute_capability_major = 0;
  int compute_capability_minor = 0;
  int driver_version = 0;    // cudaDriverGetVersion: 1000 * major + 10 * minor
  size_t cudnn_version = 0;  // cudnnGetVersion: 10000 * major + 100 * minor + patch since cuDNN 9
  // "0000:3B:00.0": how NVML finds the same GPU (its device numbers can differ from CUDA's).
  std::string pci_bus_id;
};

// The number of CUDA devices; FAILED_PRECONDITION with the runtime's reason when there is no
// driver or no device, so callers can say why there is no GPU.
absl::StatusOr<int> CountCudaDevices();

// Properties of `device` (clocks through cudaDeviceGetAttribute: CUDA 13 dropped the clock fields
// of cudaDeviceProp) and the library versions.
absl::StatusOr<CudaDeviceFacts> QueryCudaDevice(int device);

// Makes `device` this thread's current device and returns its facts: what every GPU user (the
// cudnn backend, the network runner) does first. FAILED_PRECONDITION naming the device and how many
// there are when it does not exist.
absl::StatusOr<CudaDeviceFacts> UseCudaDevice(int device);

// The rest is pure.

// Peak DRAM bandwidth in GB/s: two transfers per memory clock (DDR) across the bus.
double PeakMemoryBandwidthGBps(int memory_clock_khz, int memory_bus_width_bits);
// 13000 -> "13.0", 12040 -> "12.4".
std::string CudaVersionString(int version);
// 91900 -> "9.19.0" (cuDNN 9), 8906 -> "8.9.6" (cuDNN 8's 1000 * major + 100 * minor + patch).
std::string CudnnVersionString(size_t version);
v1::Platform PlatformFromDeviceFacts(const CudaDeviceFacts& facts);

}  // namespace convlat::agent
