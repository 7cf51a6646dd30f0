#pragma once
// convlat-client register-gpu: a GPU nobody has profiled, registered from its specification, so the
// server predicts it by transfer from the GPUs it has measurements of until an agent on it pushes
// its own layers (README, "GPUs nobody profiled").

#include <string>

#include "absl/status/statusor.h"
#include "client/commands.h"
#include "convlat/v1/types.pb.h"

namespace convlat::client {

// What the user typed; 0 / empty: not given, taken from convlat's GPU table for `device`.
struct GpuDescription {
  std::string platform;  // the name to register under, e.g. my-h100
  std::string device;    // e.g. "NVIDIA H100 PCIe"
  int sms = 0;
  double clock_mhz = 0;  // the maximum SM clock
  double bandwidth_gbps = 0;
  std::string compute_capability;  // "9.0"
  double memory_gb = 0;
  double l2_mb = 0;
};

// The spec-only GPU platform the description makes: the figures given, the rest from the GPU table
// (model/datasets/gpu_specs.h). INVALID_ARGUMENT naming the flag the user types (--sms, ...) when a
// figure is negative, or missing and not in the table, or the compute capability is not one convlat
// knows the FP32 width of.
absl::StatusOr<v1::Platform> SpecOnlyGpuPlatform(const GpuDescription& description);

// Registers it (ProfilerService.RegisterPlatform; the server wants the agent token when it has one)
// and prints what the server stored.
int RegisterGpuCommand(const CommandContext& context, const GpuDescription& description);

}  // namespace convlat::client
