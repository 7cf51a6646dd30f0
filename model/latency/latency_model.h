#pragma once
// The per-platform latency model interface: what every convolution model (roofline, two-mode,
// the baselines) answers, and what it may know of the hardware.

#include <map>
#include <string>
#include <vector>

#include "convlat/v1/latency.pb.h"
#include "convlat/v1/types.pb.h"
#include "model/fit/error_metrics.h"
#include "model/latency/samples.h"
#include "model/layers/conv_shape.h"

namespace convlat::model {

// What a model may know of the platform's hardware; 0 means unknown.
struct HardwareInfo {
  int compute_units = 0;  // SMs on a GPU, cores on a CPU
  // Peak DRAM bandwidth: bounds what a fitted byte term may plausibly cost (kernel_cost_model.h).
  double memory_bandwidth_gbps = 0;
};
HardwareInfo HardwareOf(const v1::Platform& platform);

struct Prediction {
  double latency_us = 0;
  v1::Explanation explanation;
  // The 80 % prediction interval (model/interval/): 0 and 0 when there is none. Calibrated on
  // held-out measurements of the platform, or an assumption (spec-roofline estimates).
  double p10_us = 0;
  double p90_us = 0;
  bool interval_calibrated = false;
};

// A prediction's latency and how the model splits it (Explanation.compute_share and
// memory_share), without the explanation's strings: what a model that combines other models'
// predictions (the transfer's rule and stack, model/transfer/) needs of them.
struct LatencyParts {
  double latency_us = 0;
  double compute_share = 0;
  double memory_share = 0;
};

class LatencyModel {
 public:
  virtual ~LatencyModel() = default;
  // Pure arithmetic on fitted parameters: no allocation beyond the explanation strings.
  virtual Prediction Predict(const ConvShape& shape) const = 0;
  // Predict's latency and shares, the same numbers. The default runs Predict; a model on the hot
  // path of another's (the two-mode model under a transferred platform) skips the strings, which
  // are a third of its prediction.
  virtual LatencyParts PredictParts(const ConvShape& shape) const;
  virtual std::string kind() const = 0;
  virtual std::map<std::string, double> parameters() const = 0;
};

// The model's errors on these samples (predicted against measured).
ErrorSummary ErrorsOn(const LatencyModel& model, const std::vector<Sample>& samples);

}  // namespace convlat::model
