#include "model/latency/roofline_model.h"

#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "model/fit/robust_fit.h"
#include "model/layers/features.h"

namespace convlat::model {
namespace {

std::array<double, 3> TermsOf(const ConvShape& shape) {
  const ConvFeatures f = ComputeFeatures(shape);
  return {1.0, f.flops, f.bytes()};
}

}  // namespace

absl::StatusOr<std::unique_ptr<RooflineModel>> RooflineModel::Fit(const std::vector<Sample>& samples) {
  std::vector<double> rows, latencies, weights;
  for (const Sample& sample : samples) {
    if (!(sample.weight > 0) || !(sample.latency_us > 0)) continue;
    const std::array<double, 3> terms = TermsOf(sample.shape);
    rows.insert(rows.end(), terms.begin(), terms.end());
    latencies.push_back(sample.latency_us);
    weights.push_back(sample.weight);
  }
  if (latencies.size() < 3) {
    return absl::FailedPreconditionError(
        absl::StrCat("the roofline model needs at least 3 successful measurements, got ", latencies.size()));
  }
  // Robust (fit/robust_fit.h): layers timed while something else ran do not drag the line.
  const std::optional<RobustSolution> fit = SolveNonNegativeRobust(3, rows, latencies, weights);
  if (!fit) return absl::FailedPreconditionError("the roofline model found no non-negative fit");
  const std::vector<double>& b = fit->solution.coefficients;
  return std::make_unique<RooflineModel>(b[0], b[1], b[2]);
}

Prediction RooflineModel::Predict(const ConvShape& shape) const {
  const ConvFeatures f = ComputeFeatures(shape);
  const double compute_us = us_per_flop_ * f.flops;
  const double memory_us = us_per_byte_ * f.bytes();
  Prediction prediction;
  prediction.latency_us = fixed_us_ + compute_us + memory_us;
  v1::Explanation& why = prediction.explanation;
  why.set_model_kind("roofline-linear");
  why.set_flops(f.flops);
  why.set_bytes(f.bytes());
  why.set_compute_share(prediction.latency_us > 0 ? compute_us / prediction.latency_us : 0);
  return prediction;
}

std::map<std::string, double> RooflineModel::parameters() const {
  // Reported in the units people reason in; 0 means the fit did not use that term.
  return {{"fixed_us", fixed_us_},
          {"throughput_gflops", us_per_flop_ > 0 ? 1e-3 / us_per_flop_ : 0},
          {"bandwidth_gbps", us_per_byte_ > 0 ? 1e-3 / us_per_byte_ : 0}};
}

}  // namespace convlat::model
