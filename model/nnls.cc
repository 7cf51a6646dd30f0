#include "model/nnls.h"

#include <bit>
#include <cassert>
#include <cmath>
#include <limits>

namespace convlat::model {
namespace {

// Solves the m x m system `a` (augmented with its right-hand side) by Gaussian elimination with
// partial pivoting. False when singular.
bool SolveInPlace(std::vector<double>& a, int m, std::vector<double>& x) {
  auto at = [&a, m](int r, int c) -> double& { return a[r * (m + 1) + c]; };
  for (int col = 0; col < m; ++col) {
    int pivot = col;
    for (int r = col + 1; r < m; ++r) {
      if (std::abs(at(r, col)) > std::abs(at(pivot, col))) pivot = r;
    }
    if (std::abs(at(pivot, col)) < 1e-12) return false;
    if (pivot != col) {
      for (int c = 0; c <= m; ++c) std::swap(at(col, c), at(pivot, c));
    }
    for (int r = 0; r < m; ++r) {
      if (r == col) continue;
      const double factor = at(r, col) / at(col, col);
      if (factor == 0) continue;
      for (int c = col; c <= m; ++c) at(r, c) -= factor * at(col, c);
    }
  }
  x.assign(m, 0);
  for (int r = 0; r < m; ++r) x[r] = at(r, m) / at(r, r);
  return true;
}

}  // namespace

RelativeNormalEquations::RelativeNormalEquations(int terms)
    : terms_(terms), gram_(terms * terms, 0), moment_(terms, 0), scale_(terms, 0) {
  assert(terms > 0 && terms <= 8);
}

void RelativeNormalEquations::Add(std::span<const double> row, double latency) {
  if (!(latency > 0) || !std::isfinite(latency)) return;
  const double weight = 1.0 / (latency * latency);
  for (int i = 0; i < terms_; ++i) {
    scale_[i] = std::max(scale_[i], std::abs(row[i]));
    moment_[i] += weight * row[i] * latency;
    for (int j = i; j < terms_; ++j) gram_[i * terms_ + j] += weight * row[i] * row[j];
  }
  y_weighted_ += 1.0;
  ++rows_;
}

std::optional<RelativeNormalEquations::Solution> RelativeNormalEquations::SolveNonNegative() const {
  std::optional<Solution> best;
  std::vector<int> active;
  std::vector<double> system, solution;
  for (unsigned mask = 1; mask < (1u << terms_); ++mask) {
    active.clear();
    for (int j = 0; j < terms_; ++j) {
      if ((mask >> j & 1u) && scale_[j] > 0) active.push_back(j);
    }
    const int m = static_cast<int>(active.size());
    if (m == 0 || m > rows_ || std::popcount(mask) != m) continue;
    // Columns are scaled to unit maximum: raw terms differ by ~10 orders of magnitude.
    system.assign(m * (m + 1), 0);
    for (int p = 0; p < m; ++p) {
      const int i = active[p];
      for (int q = 0; q < m; ++q) {
        const int j = active[q];
        system[p * (m + 1) + q] = Gram(std::min(i, j), std::max(i, j)) / (scale_[i] * scale_[j]);
      }
      system[p * (m + 1) + m] = moment_[i] / scale_[i];
    }
    if (!SolveInPlace(system, m, solution)) continue;
    bool non_negative = true;
    for (double value : solution) non_negative = non_negative && value >= 0;
    if (!non_negative) continue;
    std::vector<double> coefficients(terms_, 0);
    for (int p = 0; p < m; ++p) coefficients[active[p]] = solution[p] / scale_[active[p]];
    // Σ((x·b − y)/y)² = bᵀGb − 2bᵀm + yᵀWy, all from the accumulated moments.
    double sse = y_weighted_;
    for (int i = 0; i < terms_; ++i) {
      sse -= 2 * coefficients[i] * moment_[i];
      for (int j = 0; j < terms_; ++j) {
        sse += coefficients[i] * coefficients[j] * Gram(std::min(i, j), std::max(i, j));
      }
    }
    sse = std::max(sse, 0.0);
    if (!best || sse < best->relative_sse) best = Solution{std::move(coefficients), sse};
  }
  return best;
}

}  // namespace convlat::model
