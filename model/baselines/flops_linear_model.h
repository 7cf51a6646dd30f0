#pragma once
// Baseline: latency = fixed + FLOPs / throughput, the "FLOPs predict latency" assumption that
// convlat exists to beat. Fitted like every linear model here (non-negative, relative error).

#include <memory>

#include "absl/status/statusor.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

class FlopsLinearModel final : public LatencyModel {
 public:
  FlopsLinearModel(double fixed_us, double us_per_flop) : fixed_us_(fixed_us), us_per_flop_(us_per_flop) {}
  static absl::StatusOr<std::unique_ptr<FlopsLinearModel>> Fit(const std::vector<Sample>& samples);

  Prediction Predict(const ConvShape& shape) const override;
  std::string kind() const override { return "flops-linear"; }
  std::map<std::string, double> parameters() const override;

 private:
  double fixed_us_;
  double us_per_flop_;
};

}  // namespace convlat::model
