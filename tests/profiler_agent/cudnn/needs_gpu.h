#pragma once
// GPU tests skip, saying why, where there is no CUDA GPU (cudaGetDeviceCount fails or finds none).

#include <string>

#include <gtest/gtest.h>

#include "profiler_agent/cudnn/cuda_device.h"

namespace convlat::agent {

// Empty when a GPU is there; otherwise why a GPU test cannot run.
inline std::string WhyNoGpu() {
  absl::StatusOr<int> devices = CountCudaDevices();
  if (!devices.ok()) return std::string(devices.status().message());
  if (*devices == 0) return "cudaGetDeviceCount found 0 devices";
  return "";
}

// A fixture base that skips the test, saying why, where there is no GPU.
template <typename Base>
class NeedsGpu : public Base {
 protected:
  void SetUp() override {
    if (const std::string why = WhyNoGpu(); !why.empty()) {
      GTEST_SKIP() << "no CUDA GPU on this machine (" << why << "); this test runs real GPU work";
    }
  }
};

}  // namespace convlat::agent
