#include "model/baselines/flops_linear_model.h"

#include <array>

#include "model/fit/nnls.h"
#include "model/layers/features.h"

namespace convlat::model {

absl::StatusOr<std::unique_ptr<FlopsLinearModel>> FlopsLinearModel::Fit(const std::vector<Sample>& samples) {
  RelativeNormalEquations equations(2);
  for (const Sample& sample : samples) {
    const std::array<double, 2> row{1.0, ComputeFeatures(sample.shape).flops};
    equations.Add(row, sample.latency_us);
  }
  const std::optional<RelativeNormalEquations::Solution> fit =
      equations.rows() >= 2 ? equations.SolveNonNegative() : std::nullopt;
  if (!fit) return absl::FailedPreconditionError("the FLOPs-linear model needs at least 2 usable measurements");
  return std::make_unique<FlopsLinearModel>(fit->coefficients[0], fit->coefficients[1]);
}

Prediction FlopsLinearModel::Predict(const ConvShape& shape) const {
  const double flops = ComputeFeatures(shape).flops;
  Prediction prediction;
  prediction.latency_us = fixed_us_ + us_per_flop_ * flops;
  prediction.explanation.set_model_kind(kind());
  prediction.explanation.set_flops(flops);
  prediction.explanation.set_compute_share(prediction.latency_us > 0 ? us_per_flop_ * flops / prediction.latency_us
                                                                     : 0);
  return prediction;
}

std::map<std::string, double> FlopsLinearModel::parameters() const {
  return {{"fixed_us", fixed_us_}, {"throughput_gflops", us_per_flop_ > 0 ? 1e-3 / us_per_flop_ : 0}};
}

}  // namespace convlat::model
