#include "model/roofline_model.h"

#include <array>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "model/features.h"

namespace convlat::model {
namespace {

constexpr int kTerms = 3;  // fixed, flops, bytes
using Row = std::array<double, kTerms>;

Row TermsOf(const ConvShape& shape) {
  const ConvFeatures f = ComputeFeatures(shape);
  return {1.0, f.flops, f.bytes()};
}

// Solves the weighted least-squares problem restricted to the terms in `mask`, by the normal
// equations on scaled columns (the raw columns differ by ~10 orders of magnitude). Weights are
// 1/y², so the fit minimises squared relative error. Returns false if the system is singular.
bool SolveSubset(const std::vector<Row>& x, const std::vector<double>& y, unsigned mask, Row& coef) {
  Row scale{};
  for (const Row& row : x) {
    for (int j = 0; j < kTerms; ++j) scale[j] = std::max(scale[j], std::abs(row[j]));
  }
  std::array<int, kTerms> active{};
  int m = 0;
  for (int j = 0; j < kTerms; ++j) {
    if ((mask >> j & 1u) && scale[j] > 0) active[m++] = j;
  }
  if (m == 0) return false;
  double a[kTerms][kTerms + 1] = {};
  for (size_t i = 0; i < x.size(); ++i) {
    const double weight = 1.0 / (y[i] * y[i]);
    for (int p = 0; p < m; ++p) {
      const double xp = x[i][active[p]] / scale[active[p]];
      for (int q = 0; q < m; ++q) a[p][q] += weight * xp * x[i][active[q]] / scale[active[q]];
      a[p][m] += weight * xp * y[i];
    }
  }
  // Gaussian elimination with partial pivoting on an m x m system.
  for (int col = 0; col < m; ++col) {
    int pivot = col;
    for (int r = col + 1; r < m; ++r) {
      if (std::abs(a[r][col]) > std::abs(a[pivot][col])) pivot = r;
    }
    if (std::abs(a[pivot][col]) < 1e-12) return false;
    std::swap(a[col], a[pivot]);
    for (int r = 0; r < m; ++r) {
      if (r == col) continue;
      const double factor = a[r][col] / a[col][col];
      for (int c = col; c <= m; ++c) a[r][c] -= factor * a[col][c];
    }
  }
  coef = {};
  for (int p = 0; p < m; ++p) coef[active[p]] = a[p][m] / a[p][p] / scale[active[p]];
  return true;
}

double RelativeSquaredError(const std::vector<Row>& x, const std::vector<double>& y, const Row& coef) {
  double total = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    double predicted = 0;
    for (int j = 0; j < kTerms; ++j) predicted += coef[j] * x[i][j];
    const double relative = (predicted - y[i]) / y[i];
    total += relative * relative;
  }
  return total;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RooflineModel>> RooflineModel::Fit(const std::vector<Sample>& samples) {
  std::vector<Row> x;
  std::vector<double> y;
  for (const Sample& sample : samples) {
    if (!(sample.latency_us > 0) || !std::isfinite(sample.latency_us)) continue;
    x.push_back(TermsOf(sample.shape));
    y.push_back(sample.latency_us);
  }
  if (x.size() < kTerms) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the roofline model needs at least ", kTerms, " successful measurements, got ", x.size()));
  }
  // Non-negative least squares by enumerating the term subsets: with three terms this is exact
  // and cheaper than an iterative active-set solver.
  Row best{};
  double best_error = std::numeric_limits<double>::infinity();
  for (unsigned mask = 1; mask < (1u << kTerms); ++mask) {
    Row coef{};
    if (!SolveSubset(x, y, mask, coef)) continue;
    bool non_negative = true;
    for (double c : coef) non_negative = non_negative && c >= 0;
    if (!non_negative) continue;
    const double error = RelativeSquaredError(x, y, coef);
    if (error < best_error) {
      best_error = error;
      best = coef;
    }
  }
  if (!std::isfinite(best_error)) {
    return absl::FailedPreconditionError("the roofline model found no non-negative fit");
  }
  return std::make_unique<RooflineModel>(best[0], best[1], best[2]);
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
