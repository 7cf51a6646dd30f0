#pragma once
// Measurements as fitting samples: one per convolution configuration, the fastest algorithm's.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "convlat/v1/types.pb.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {

struct Sample {
  ConvShape shape;
  double latency_us = 0;
  // The main kernel the library ran (the longest one) and its CTA count, when the measurement
  // recorded kernels. Without kernel records (CPU backends, GPUs without CUPTI) the kernel is the
  // implementation the library reported (oneDNN's "x64:gemm:jit", cuDNN's algorithm), so a switch
  // between implementations is still learnt; empty and 0 when neither is known.
  std::string kernel;
  int64_t observed_ctas = 0;
  // The launch grid's x, y, z (0 when not recorded): its axis order tells tiles apart that the CTA
  // count alone cannot (two_mode/grid_mapping.h).
  std::array<int64_t, 3> observed_grid{};
  // The agent found the configuration's spread too wide even after measuring it again.
  bool noisy = false;
  // What the fit multiplies this sample's squared relative error by: 0 leaves it out, less than 1
  // down-weights it (noisy samples, see LeaveOutOrDownWeightNoisy).
  double weight = 1;
};

// The kernel that explains a measurement's latency: the record that took longest (the others are
// offset computations, Winograd transforms and the like); the first when none has a duration.
// Null when the measurement has no kernel records.
const v1::KernelRecord* MainKernel(const v1::Measurement& m);

// Successful convolution measurements of a platform as fitting samples; failed ones and those of
// other ops (see op_model.h) are skipped.
std::vector<Sample> SamplesFromMeasurements(const std::vector<v1::Measurement>& measurements);

// The hot timings of those measurements the agent timed hot as well (CPU agents: `hot_latency`),
// as measurements whose `latency` is the hot one, so that the same fits make the hot models; the
// noisy flag, which judged the evicted series, is cleared. Empty when none was timed hot.
std::vector<v1::Measurement> HotTimingsOf(const std::vector<v1::Measurement>& measurements);

}  // namespace convlat::model
