#pragma once
// The per-platform latency model interface, and fitting from measurements.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/latency.pb.h"
#include "convlat/v1/types.pb.h"
#include "model/conv_shape.h"
#include "model/error_metrics.h"

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
};

// What a model may know of the platform's hardware; 0 means unknown.
struct HardwareInfo {
  int compute_units = 0;  // SMs on a GPU, cores on a CPU
};
HardwareInfo HardwareOf(const v1::Platform& platform);

struct Prediction {
  double latency_us = 0;
  v1::Explanation explanation;
};

class LatencyModel {
 public:
  virtual ~LatencyModel() = default;
  // Pure arithmetic on fitted parameters: no allocation beyond the explanation strings.
  virtual Prediction Predict(const ConvShape& shape) const = 0;
  virtual std::string kind() const = 0;
  virtual std::map<std::string, double> parameters() const = 0;
};

// The kernel that explains a measurement's latency: the record that took longest (the others are
// offset computations, Winograd transforms and the like); the first when none has a duration.
// Null when the measurement has no kernel records.
const v1::KernelRecord* MainKernel(const v1::Measurement& m);

// Successful convolution measurements of a platform as fitting samples; failed ones and those of
// other ops (see op_model.h) are skipped.
std::vector<Sample> SamplesFromMeasurements(const std::vector<v1::Measurement>& measurements);

// The model's errors on these samples (predicted against measured).
ErrorSummary ErrorsOn(const LatencyModel& model, const std::vector<Sample>& samples);

// Fits the platform's serving model: the two-mode model when there are enough samples for it and,
// fitted on four fifths of them, it predicts the other fifth at least as well as the roofline;
// else the roofline. FAILED_PRECONDITION when there are too few samples to fit either.
absl::StatusOr<std::unique_ptr<LatencyModel>> FitLatencyModel(const std::vector<Sample>& samples,
                                                              const HardwareInfo& hardware = {});

}  // namespace convlat::model
