#pragma once
// What the transfer model knows of a GPU: its specification, not its measurements. Source and
// target platforms are described the same way, so a layer's features on a GPU nobody profiled are
// computed exactly as they were for the GPUs the model learnt from.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/types.pb.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

struct TransferSpec {
  std::string name;            // the platform's name, for explanations ("gpu-t4")
  int sms = 0;                 // streaming multiprocessors
  double peak_gflops = 0;      // fp32, from SMs x clock x lanes of the compute capability
  double bandwidth_gbps = 0;   // peak DRAM bandwidth
  int64_t l2_cache_bytes = 0;  // 0: unknown
  // FP32 lanes per SM (192 Kepler, 128 Maxwell, 64 Volta/Turing/A100): how wide an SM is, hence how
  // much independent work a kernel must give each warp scheduler to come near the peak.
  int fp32_lanes_per_sm = 0;
  // The framework the timings go through: TensorFlow 1.x (the Justus data) adds its own launch
  // floor and fused epilogues to every layer, so it is part of what a platform is, like its clock.
  bool tensorflow_runtime = false;
};

// The spec of a GPU platform, its unset figures first filled from the GPU spec table by the caller.
// INVALID_ARGUMENT naming the field (prefixed by `field_path`, e.g. "platform") when one the
// transfer needs is missing or not positive: compute_units, core_clock_mhz, memory_bandwidth_gbps,
// compute_capability (one the fp32 lane table knows), memory_bytes or l2_cache_bytes below 0.
absl::StatusOr<TransferSpec> TransferSpecOf(const v1::Platform& platform, absl::string_view field_path);

// What a model fitted on the GPU's own layers may know of it (its SMs and DRAM bandwidth).
HardwareInfo HardwareOf(const TransferSpec& spec);

// Whether `platform` says it is timed through TensorFlow (library "tensorflow").
bool TimedThroughTensorFlow(const v1::Platform& platform);

}  // namespace convlat::model
