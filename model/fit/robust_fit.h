#pragma once
// Robust non-negative fits: iteratively reweighted least squares with Tukey's biweight on
// log-residuals ln(measured / predicted).
//
// Why: a layer timed while something else used the cores comes back several times too slow, and
// only too slow (a measurement is never faster than the hardware allows). Relative least squares
// caps each such spike's residual near -0.9, yet a few of them in a small group still drag the
// fixed cost up: on the issue-14 sweep an activation model went to fixed_us 5297 with no
// bandwidth term. On the log scale a 10x spike is ln 10 = 2.3 whatever the layer's size, while the
// model's own misfit on real data is a few tenths: Tukey's weight, zero beyond c robust scales,
// drops the spikes entirely (Huber's would only shrink them) and keeps the rest at nearly full
// weight. The scale is the residuals' MAD, so up to half of the rows may be spikes.

#include <optional>
#include <span>
#include <vector>

#include "model/fit/nnls.h"

namespace convlat::model {

struct RobustFitOptions {
  // Reweighted fits after the plain one; fewer when the weights stop changing.
  int reweightings = 4;
  // Tukey's constant in robust scales: 95 % efficiency under normal errors.
  double tukey_c = 4.685;
  // Floor of the log-residual scale (≈ 5 %): a near-perfect fit must not call 20 % off an outlier.
  double min_scale = 0.05;
};

// Tukey's biweight (1 − (r/(c·s))²)² of each residual, 0 beyond c·s, with s = max(1.4826·MAD,
// min_scale) over the residuals whose prior weight is positive; those with a zero prior get 0.
std::vector<double> TukeyWeights(std::span<const double> log_residuals, std::span<const double> prior_weights,
                                 const RobustFitOptions& options = {});

struct RobustSolution {
  RelativeNormalEquations::Solution solution;  // the last reweighted fit
  std::vector<double> weights;                 // per row: prior × Tukey
  int outliers = 0;                            // rows with a positive prior that the robust loss set to 0
};

// The non-negative fit of `latencies` on the row-major `rows` (`terms` per row) minimising
// Σ prior·tukey·((x·b − y)/y)², started from the plain relative fit. nullopt when even the plain
// fit has no solution; a reweighted fit that has none (too few rows left) keeps the one before.
std::optional<RobustSolution> SolveNonNegativeRobust(int terms, std::span<const double> rows,
                                                     std::span<const double> latencies,
                                                     std::span<const double> prior_weights,
                                                     const RobustFitOptions& options = {});

}  // namespace convlat::model
