#pragma once
// The first per-platform model: latency = fixed + flops / throughput + bytes / bandwidth.
// Linear, fitted to minimise relative error with non-negative coefficients. It knows nothing of
// tiles or kernels; the two-mode model replaces it behind the LatencyModel interface.

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

class RooflineModel final : public LatencyModel {
 public:
  RooflineModel(double fixed_us, double us_per_flop, double us_per_byte)
      : fixed_us_(fixed_us), us_per_flop_(us_per_flop), us_per_byte_(us_per_byte) {}

  static absl::StatusOr<std::unique_ptr<RooflineModel>> Fit(const std::vector<Sample>& samples);

  Prediction Predict(const ConvShape& shape) const override;
  std::string kind() const override { return "roofline-linear"; }
  std::map<std::string, double> parameters() const override;

 private:
  double fixed_us_;
  double us_per_flop_;
  double us_per_byte_;
};

}  // namespace convlat::model
