#pragma once
// The GPU's SM clock, read around each measurement through NVML, which is loaded at run time
// (dlopen "libnvidia-ml.so.1", the driver's) so that the agent neither links nor needs it: a
// machine without the driver has no clock to read.

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace convlat::agent {

// One GPU's SM clock through NVML.
class NvmlSmClock {
 public:
  // The GPU with this PCI bus id ("0000:3B:00.0", as cudaDeviceGetPCIBusId writes it: CUDA's and
  // NVML's device numbers can differ). UNAVAILABLE, with the reason, when the library or the
  // device cannot be had.
  static absl::StatusOr<std::unique_ptr<NvmlSmClock>> Open(const std::string& pci_bus_id);
  ~NvmlSmClock();
  NvmlSmClock(const NvmlSmClock&) = delete;
  NvmlSmClock& operator=(const NvmlSmClock&) = delete;

  // The SM clock now, in MHz; 0 when NVML does not say.
  int CurrentMhz() const;

 private:
  struct Library;
  explicit NvmlSmClock(std::unique_ptr<Library> library);
  std::unique_ptr<Library> library_;
};

}  // namespace convlat::agent
