#include "model/latency/roofline_model.h"

#include <array>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "model/fit/nnls.h"
#include "model/layers/features.h"

namespace convlat::model {
namespace {

std::array<double, 3> TermsOf(const ConvShape& shape) {
  const ConvFeatures f = ComputeFeatures(shape);
  return {1.0, f.flops, f.bytes()};
}

}  // namespace

absl::StatusOr<std::unique_ptr<RooflineModel>> RooflineModel::Fit(const std::vector<Sample>& samples) {
  RelativeNormalEquations equations(3);
  for (const Sample& sample : samples) equations.Add(TermsOf(sample.shape), sample.latency_us);
  if (equations.rows() < equations.terms()) {
    return absl::FailedPreconditionError(absl::StrCat("the roofline model needs at least ", equations.terms(),
                                                      " successful measurements, got ", equations.rows()));
  }
  const std::optional<RelativeNormalEquations::Solution> fit = equations.SolveNonNegative();
  if (!fit) return absl::FailedPreconditionError("the roofline model found no non-negative fit");
  const std::vector<double>& b = fit->coefficients;
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
