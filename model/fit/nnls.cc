#include "model/fit/nnls.h"

#include <algorithm>
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
  assert(terms > 0);
}

RelativeNormalEquations RelativeNormalEquations::FromSums(std::vector<double> gram, std::vector<double> moment,
                                                          std::vector<double> scale, double y_weighted, int rows) {
  RelativeNormalEquations equations(static_cast<int>(moment.size()));
  assert(gram.size() == moment.size() * moment.size() && scale.size() == moment.size());
  equations.gram_ = std::move(gram);
  equations.moment_ = std::move(moment);
  equations.scale_ = std::move(scale);
  equations.y_weighted_ = y_weighted;
  equations.rows_ = rows;
  return equations;
}

void RelativeNormalEquations::Add(std::span<const double> row, double latency, double row_weight) {
  if (!(latency > 0) || !std::isfinite(latency) || !(row_weight > 0)) return;
  const double weight = row_weight / (latency * latency);
  for (int i = 0; i < terms_; ++i) {
    scale_[i] = std::max(scale_[i], std::abs(row[i]));
    moment_[i] += weight * row[i] * latency;
    for (int j = i; j < terms_; ++j) gram_[i * terms_ + j] += weight * row[i] * row[j];
  }
  y_weighted_ += row_weight;
  ++rows_;
}

std::optional<RelativeNormalEquations::Solution> RelativeNormalEquations::SolveNonNegative() const {
  const int n = terms_;
  // Columns scaled to unit maximum: raw terms differ by ~10 orders of magnitude. A column that is
  // zero on every row (a term that does not apply to this kernel) never enters.
  std::vector<double> g(n * n, 0), m(n, 0);
  for (int i = 0; i < n; ++i) {
    if (scale_[i] == 0) continue;
    m[i] = moment_[i] / scale_[i];
    for (int j = 0; j < n; ++j) {
      if (scale_[j] > 0) g[i * n + j] = Gram(std::min(i, j), std::max(i, j)) / (scale_[i] * scale_[j]);
    }
  }
  std::vector<bool> passive(n, false);   // terms free to be positive
  std::vector<bool> excluded(n, false);  // collinear with the passive terms when they entered
  std::vector<double> x(n, 0), z, system;
  std::vector<int> active;
  auto gradient = [&](int j) {  // minus the derivative of the objective: m - Gx
    double w = m[j];
    for (int k = 0; k < n; ++k) w -= g[j * n + k] * x[k];
    return w;
  };
  // Solves the unconstrained problem on the passive terms into z (zeros elsewhere).
  auto solve_passive = [&]() {
    active.clear();
    for (int j = 0; j < n; ++j) {
      if (passive[j]) active.push_back(j);
    }
    const int k = static_cast<int>(active.size());
    system.assign(k * (k + 1), 0);
    for (int p = 0; p < k; ++p) {
      for (int q = 0; q < k; ++q) system[p * (k + 1) + q] = g[active[p] * n + active[q]];
      system[p * (k + 1) + k] = m[active[p]];
    }
    std::vector<double> solution;
    z.assign(n, 0);
    if (!SolveInPlace(system, k, solution)) return false;
    for (int p = 0; p < k; ++p) z[active[p]] = solution[p];
    return true;
  };

  constexpr double kTolerance = 1e-12;
  for (int iteration = 0; iteration < 4 * n + 8; ++iteration) {
    int entering = -1;
    double best = kTolerance;
    for (int j = 0; j < n; ++j) {
      if (passive[j] || excluded[j] || scale_[j] == 0) continue;
      if (const double w = gradient(j); w > best) best = w, entering = j;
    }
    if (entering < 0) break;
    passive[entering] = true;
    while (true) {
      if (!solve_passive()) {  // the entering term is collinear with the passive ones
        passive[entering] = false;
        excluded[entering] = true;
        break;
      }
      bool feasible = true;
      for (int j = 0; j < n; ++j) feasible = feasible && (!passive[j] || z[j] > 0);
      if (feasible) {
        x = z;
        break;
      }
      // Step from x towards z as far as non-negativity allows; the term that hits zero leaves.
      double alpha = 1;
      for (int j = 0; j < n; ++j) {
        if (passive[j] && z[j] <= 0) alpha = std::min(alpha, x[j] / (x[j] - z[j]));
      }
      for (int j = 0; j < n; ++j) {
        x[j] += alpha * (z[j] - x[j]);
        if (passive[j] && x[j] <= kTolerance) passive[j] = false, x[j] = 0;
      }
    }
  }
  const auto used = std::count(passive.begin(), passive.end(), true);
  if (used == 0 || used > rows_) return std::nullopt;

  Solution solution{std::vector<double>(n, 0), 0};
  for (int i = 0; i < n; ++i) solution.coefficients[i] = scale_[i] > 0 ? x[i] / scale_[i] : 0;
  // Σ w((x·b − y)/y)² = bᵀGb − 2bᵀm + yᵀWy, all from the accumulated moments.
  double sse = y_weighted_;
  for (int i = 0; i < n; ++i) {
    sse -= 2 * solution.coefficients[i] * moment_[i];
    for (int j = 0; j < n; ++j) {
      sse += solution.coefficients[i] * solution.coefficients[j] * Gram(std::min(i, j), std::max(i, j));
    }
  }
  solution.relative_sse = std::max(sse, 0.0);
  return solution;
}

}  // namespace convlat::model
