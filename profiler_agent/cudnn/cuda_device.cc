#include "profiler_agent/cudnn/cuda_device.h"

#include <cuda_runtime_api.h>
#include <cudnn.h>

#include "absl/strings/str_cat.h"
#include "profiler_agent/cudnn/cuda_status.h"

namespace convlat::agent {
namespace {

absl::StatusOr<int> DeviceAttribute(cudaDeviceAttr attribute, int device, absl::string_view name) {
  int value = 0;
  if (absl::Status s = CudaStatus(cudaDeviceGetAttribute(&value, attribute, device), name); !s.ok()) return s;
  return value;
}

}  // namespace

absl::StatusOr<int> CountCudaDevices() {
  int count = 0;
  if (absl::Status s = CudaStatus(cudaGetDeviceCount(&count), "cudaGetDeviceCount"); !s.ok()) {
    // Leaves no error behind for later calls.
    cudaGetLastError();
    return absl::FailedPreconditionError(absl::StrCat("no usable CUDA GPU: ", s.message()));
  }
  return count;
}

absl::StatusOr<CudaDeviceFacts> QueryCudaDevice(int device) {
  cudaDeviceProp properties{};
  if (absl::Status s = CudaStatus(cudaGetDeviceProperties(&properties, device), "cudaGetDeviceProperties"); !s.ok()) {
    return s;
  }
  CudaDeviceFacts facts;
  facts.name = properties.name;
  facts.multiprocessor_count = properties.multiProcessorCount;
  facts.memory_bus_width_bits = properties.memoryBusWidth;
  facts.l2_cache_bytes = properties.l2CacheSize;
  facts.memory_bytes = static_cast<int64_t>(properties.totalGlobalMem);
  facts.compute_capability_major = properties.major;
  facts.compute_capability_minor = properties.minor;
  absl::StatusOr<int> core_clock = DeviceAttribute(cudaDevAttrClockRate, device, "cudaDeviceGetAttribute(ClockRate)");
  if (!core_clock.ok()) return core_clock.status();
  facts.core_clock_khz = *core_clock;
  absl::StatusOr<int> memory_clock =
      DeviceAttribute(cudaDevAttrMemoryClockRate, device, "cudaDeviceGetAttribute(MemoryClockRate)");
  if (!memory_clock.ok()) return memory_clock.status();
  facts.memory_clock_khz = *memory_clock;
  if (absl::Status s = CudaStatus(cudaDriverGetVersion(&facts.driver_version), "cudaDriverGetVersion"); !s.ok()) {
    return s;
  }
  facts.cudnn_version = cudnnGetVersion();
  char bus_id[32] = {};
  if (absl::Status s = CudaStatus(cudaDeviceGetPCIBusId(bus_id, sizeof(bus_id), device), "cudaDeviceGetPCIBusId");
      !s.ok()) {
    return s;
  }
  facts.pci_bus_id = bus_id;
  return facts;
}

absl::StatusOr<CudaDeviceFacts> UseCudaDevice(int device) {
  absl::StatusOr<int> devices = CountCudaDevices();
  if (!devices.ok()) return devices.status();
  if (device < 0 || device >= *devices) {
    return absl::FailedPreconditionError(
        absl::StrCat("no usable CUDA GPU: device ", device, " requested, ", *devices, " found"));
  }
  if (absl::Status s = CudaStatus(cudaSetDevice(device), "cudaSetDevice"); !s.ok()) return s;
  return QueryCudaDevice(device);
}

double PeakMemoryBandwidthGBps(int memory_clock_khz, int memory_bus_width_bits) {
  return 2.0 * memory_clock_khz * 1e3 * (memory_bus_width_bits / 8.0) / 1e9;
}

std::string CudaVersionString(int version) { return absl::StrCat(version / 1000, ".", (version % 1000) / 10); }

std::string CudnnVersionString(size_t version) {
  if (version >= 90000) return absl::StrCat(version / 10000, ".", (version % 10000) / 100, ".", version % 100);
  return absl::StrCat(version / 1000, ".", (version % 1000) / 100, ".", version % 100);
}

v1::Platform PlatformFromDeviceFacts(const CudaDeviceFacts& facts) {
  v1::Platform platform;
  platform.set_kind(v1::PLATFORM_KIND_GPU);
  platform.set_device_name(facts.name);
  platform.set_compute_units(facts.multiprocessor_count);
  platform.set_core_clock_mhz(facts.core_clock_khz / 1e3);
  platform.set_memory_clock_mhz(facts.memory_clock_khz / 1e3);
  platform.set_memory_bytes(facts.memory_bytes);
  platform.set_memory_bandwidth_gbps(PeakMemoryBandwidthGBps(facts.memory_clock_khz, facts.memory_bus_width_bits));
  platform.set_l2_cache_bytes(facts.l2_cache_bytes);
  platform.set_compute_capability(absl::StrCat(facts.compute_capability_major, ".", facts.compute_capability_minor));
  platform.set_driver_version(CudaVersionString(facts.driver_version));
  platform.set_library("cudnn");
  platform.set_library_version(CudnnVersionString(facts.cudnn_version));
  return platform;
}

}  // namespace convlat::agent
