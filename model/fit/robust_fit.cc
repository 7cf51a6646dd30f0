#include "model/fit/robust_fit.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace convlat::model {
namespace {

// 1.4826 · MAD estimates the standard deviation of normal errors.
constexpr double kMadToSigma = 1.4826;
// Weights changing less than this between rounds: converged.
constexpr double kWeightTolerance = 1e-3;

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  return 0.5 * (upper + *std::max_element(values.begin(), values.begin() + mid));
}

std::optional<RelativeNormalEquations::Solution> Solve(int terms, std::span<const double> rows,
                                                       std::span<const double> latencies,
                                                       std::span<const double> weights) {
  RelativeNormalEquations equations(terms);
  for (size_t i = 0; i < latencies.size(); ++i) {
    equations.Add(rows.subspan(i * terms, terms), latencies[i], weights[i]);
  }
  return equations.SolveNonNegative();
}

}  // namespace

std::vector<double> TukeyWeights(std::span<const double> log_residuals, std::span<const double> prior_weights,
                                 const RobustFitOptions& options) {
  assert(log_residuals.size() == prior_weights.size());
  std::vector<double> magnitudes;
  for (size_t i = 0; i < log_residuals.size(); ++i) {
    if (prior_weights[i] > 0) magnitudes.push_back(std::abs(log_residuals[i]));
  }
  // The MAD about zero: the residuals of a fit are centred by the fit itself, and a median of
  // signed residuals would shift with the spikes, which all point one way.
  const double scale = std::max(kMadToSigma * Median(std::move(magnitudes)), options.min_scale);
  const double cutoff = options.tukey_c * scale;
  std::vector<double> weights(log_residuals.size(), 0.0);
  for (size_t i = 0; i < log_residuals.size(); ++i) {
    const double u = log_residuals[i] / cutoff;
    // A residual that is not finite (a prediction of 0 for a measured layer) is an outlier.
    if (prior_weights[i] > 0 && std::isfinite(u) && std::abs(u) < 1) weights[i] = (1 - u * u) * (1 - u * u);
  }
  return weights;
}

std::optional<RobustSolution> SolveNonNegativeRobust(int terms, std::span<const double> rows,
                                                     std::span<const double> latencies,
                                                     std::span<const double> prior_weights,
                                                     const RobustFitOptions& options) {
  assert(rows.size() == latencies.size() * terms && prior_weights.size() == latencies.size());
  std::optional<RelativeNormalEquations::Solution> fit = Solve(terms, rows, latencies, prior_weights);
  if (!fit) return std::nullopt;
  RobustSolution robust{*std::move(fit), std::vector<double>(prior_weights.begin(), prior_weights.end()), 0};
  std::vector<double> residuals(latencies.size(), 0.0);
  for (int round = 0; round < options.reweightings; ++round) {
    for (size_t i = 0; i < latencies.size(); ++i) {
      double predicted = 0;
      for (int t = 0; t < terms; ++t) predicted += rows[i * terms + t] * robust.solution.coefficients[t];
      residuals[i] = latencies[i] > 0 && predicted > 0 ? std::log(latencies[i] / predicted) : HUGE_VAL;
    }
    std::vector<double> weights = TukeyWeights(residuals, prior_weights, options);
    for (size_t i = 0; i < weights.size(); ++i) weights[i] *= prior_weights[i];
    double change = 0;
    for (size_t i = 0; i < weights.size(); ++i) change = std::max(change, std::abs(weights[i] - robust.weights[i]));
    std::optional<RelativeNormalEquations::Solution> refit = Solve(terms, rows, latencies, weights);
    if (!refit) break;  // too few rows kept for the terms: the fit before stands
    robust.solution = *std::move(refit);
    robust.weights = std::move(weights);
    if (change < kWeightTolerance) break;
  }
  robust.outliers = 0;
  for (size_t i = 0; i < latencies.size(); ++i) robust.outliers += prior_weights[i] > 0 && robust.weights[i] == 0;
  return robust;
}

}  // namespace convlat::model
