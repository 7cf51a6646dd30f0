#include "model/two_mode/residual_correction.h"

#include <algorithm>
#include <cmath>

#include "model/layers/features.h"

namespace convlat::model {
namespace {

constexpr int kWidth = kCorrectionFeatures;
// Every fifth row is held out for the check: deterministic, so fits are reproducible, and spread
// over however the rows were ordered.
constexpr int kHoldOutEvery = 5;

BoostedTreesOptions TreeOptions(size_t rows) {
  BoostedTreesOptions options;
  // At most 100 trees of depth 5: walked flat (fit/flat_tree_ensemble.h), they are about a third
  // of a prediction's cost (BM_PredictLayer, docs/performance.md).
  options.rounds = 100;
  options.max_depth = 5;
  // 0.3 rather than the 0.15 it had: where the correction helps most (oneDNN's threading
  // partitions, TensorFlow's overheads) 100 trees at 0.15 were still improving at the last round,
  // and where it helps least (NeuSight) the check stops at a few dozen either way. At 0.3 the CPU
  // fit went 7.6 → 7.1 % (NCHW, held-out split), the five Justus GPUs 0.1–0.3 points lower, the
  // NeuSight GPUs within ±0.1, and the served T4 fit keeps 32 trees instead of 57, so its
  // predictions are faster (docs/accuracy.md, docs/performance.md).
  options.learning_rate = 0.3;
  // Leaves of at least 0.25 % of the layers (20 at least): a correction of a few layers is noise.
  options.min_samples_leaf = std::max<int>(20, static_cast<int>(rows / 400));
  // Layers timed with another activation or while something else ran sit far off whatever the
  // trees learn; past ±20 % they count as 20 %, so a leaf follows its typical layer (MAPE's aim).
  options.huber_delta = 0.2;
  return options;
}

double HeldOutMape(std::span<const double> corrections, std::span<const double> log_residuals) {
  double sum = 0;
  for (size_t i = 0; i < corrections.size(); ++i) sum += std::abs(std::exp(corrections[i] - log_residuals[i]) - 1);
  return corrections.empty() ? 0 : 100 * sum / static_cast<double>(corrections.size());
}

}  // namespace

std::array<double, kCorrectionFeatures> CorrectionFeatures(const ConvShape& shape, const ConvFeatures& f,
                                                           const ConvLogSizes& logs, size_t group,
                                                           const WorkDecomposition& decomposition,
                                                           const KernelCostModel::Breakdown& cost) {
  auto log2 = [](double v) { return std::log2(std::max(v, 1.0)); };
  const double total = cost.total_us();
  const double slots = static_cast<double>(std::max<int64_t>(decomposition.slots, 1));
  const double waves = static_cast<double>(cost.waves);
  return {logs.n, logs.c, logs.h, logs.k, double(shape.r), double(shape.stride_h), double(shape.pad_h), logs.groups,
          logs.pq, log2(f.flops), log2(f.bytes()), double(group), Log2Size(cost.ctas), Log2Size(cost.waves),
          // How full the last wave is: where a staircase's step edges are least sure.
          waves > 0 ? static_cast<double>(cost.ctas) / (waves * slots) : 0, total > 0 ? cost.compute_us / total : 0,
          total > 0 ? cost.fixed_us / total : 0, std::log(std::max(total, 1e-3)), double(shape.dtype),
          double(shape.math_mode)};
}

std::optional<ResidualCorrection> ResidualCorrection::Fit(std::span<const double> features,
                                                          std::span<const double> log_residuals,
                                                          std::span<const double> weights, Check* check) {
  const size_t rows = log_residuals.size();
  if (rows < kMinSamples) return std::nullopt;
  std::vector<double> train_x, train_y, train_w, held_x, held_y;
  for (size_t i = 0; i < rows; ++i) {
    const std::span<const double> row = features.subspan(i * kWidth, kWidth);
    if (i % kHoldOutEvery == 0) {
      if (!(weights[i] > 0)) continue;
      held_x.insert(held_x.end(), row.begin(), row.end());
      held_y.push_back(log_residuals[i]);
    } else {
      train_x.insert(train_x.end(), row.begin(), row.end());
      train_y.push_back(log_residuals[i]);
      train_w.push_back(weights[i]);
    }
  }
  const BoostedTreesOptions options = TreeOptions(train_y.size());
  const BoostedTrees trial = BoostedTrees::Fit(train_x, kWidth, train_y, train_w, options);
  // The held-out error after each round; the round count with the lowest is the one kept.
  const size_t held = held_y.size();
  std::vector<double> corrections(held, 0);
  Check seen{.mape_without = HeldOutMape(corrections, held_y)};
  std::vector<std::vector<double>> outputs(held);
  for (size_t i = 0; i < held; ++i) {
    const std::span<const double> row(&held_x[i * kWidth], kWidth);
    corrections[i] = trial.Predict(row);
    outputs[i] = trial.TreeOutputs(row);
    for (double output : outputs[i]) corrections[i] -= output;  // the base alone
  }
  double best = seen.mape_without;
  for (int round = 1; round <= trial.rounds(); ++round) {
    for (size_t i = 0; i < held; ++i) corrections[i] += outputs[i][round - 1];
    const double mape = HeldOutMape(corrections, held_y);
    if (mape < best) best = mape, seen.rounds = round;
  }
  seen.mape_with = best;
  if (best > (1 - kRequiredGain) * seen.mape_without) seen.rounds = 0;
  if (check != nullptr) *check = seen;
  if (seen.rounds == 0) return std::nullopt;
  // Kept: refitted on every row, with as many trees as held out best.
  BoostedTreesOptions all = TreeOptions(rows);
  all.rounds = seen.rounds;
  ResidualCorrection correction;
  correction.trees_ = BoostedTrees::Fit(features, kWidth, log_residuals, weights, all);
  correction.check_ = seen;
  return correction;
}

double ResidualCorrection::Factor(std::span<const double> features) const {
  // Bounded: a correction is a refinement of an explained cost, never a different answer.
  return std::clamp(std::exp(trees_.Predict(features)), 0.25, 4.0);
}

}  // namespace convlat::model
