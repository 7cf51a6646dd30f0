#include "model/interval/prediction_interval.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace convlat::model {
namespace {

// An 80 % interval: 10 % of the residuals may fall below it and 10 % above.
constexpr double kTail = 0.1;

// A spec-roofline estimate assumes the device's peak bandwidth and throughput after the launch
// floor its convolutions show. Real kernels reach roughly 40-100 % of peak bandwidth, so the layer
// can take up to ~2.5× the estimate, and the launch floor of a tiny op can be half of what the
// convolutions suggest. An assumption, not a calibration: the answer says so (uncalibrated).
constexpr double kSpecLower = 0.5;
constexpr double kSpecUpper = 2.5;

// The groups of a prediction, most specific first; empty where the model does not say.
std::array<const std::string*, 3> GroupNamesOf(const Prediction& p) {
  return {&p.explanation.kernel(), &p.explanation.kernel_family(), &p.explanation.model_kind()};
}

}  // namespace

IntervalRatios RatiosFromLogResiduals(std::vector<double> log_residuals) {
  IntervalRatios ratios;
  const int n = static_cast<int>(log_residuals.size());
  ratios.residuals = n;
  if (n == 0) return ratios;
  std::sort(log_residuals.begin(), log_residuals.end());
  // Split conformal: the ⌈(n+1)(1-α)⌉-th smallest of n residuals bounds a new one with
  // probability ≥ 1-α, so with few residuals the interval reaches further out.
  const int upper_rank = std::min(n, static_cast<int>(std::ceil((n + 1) * (1 - kTail) - 1e-9)));
  const int lower_rank = std::max(1, static_cast<int>(std::floor((n + 1) * kTail + 1e-9)));
  ratios.lower = std::exp(log_residuals[lower_rank - 1]);
  ratios.upper = std::exp(log_residuals[upper_rank - 1]);
  return ratios;
}

PredictionIntervals PredictionIntervals::Calibrate(const std::vector<HeldOutResidual>& residuals,
                                                   int min_group_residuals) {
  PredictionIntervals intervals;
  std::vector<double> all;
  std::array<absl::flat_hash_map<std::string, std::vector<double>>, kLevels> by_group;
  for (const HeldOutResidual& r : residuals) {
    if (!(r.measured_us > 0) || !(r.prediction.latency_us > 0)) continue;  // no ratio to take
    const double log_residual = std::log(r.measured_us / r.prediction.latency_us);
    if (!std::isfinite(log_residual)) continue;
    all.push_back(log_residual);
    const auto names = GroupNamesOf(r.prediction);
    for (int level = 0; level < kLevels; ++level) {
      if (!names[level]->empty()) by_group[level][*names[level]].push_back(log_residual);
    }
  }
  if (all.empty()) return intervals;
  intervals.pooled_ = RatiosFromLogResiduals(std::move(all));
  for (int level = 0; level < kLevels; ++level) {
    for (auto& [name, group] : by_group[level]) {
      if (static_cast<int>(group.size()) < min_group_residuals) continue;
      intervals.groups_[level][name] = RatiosFromLogResiduals(std::move(group));
    }
  }
  return intervals;
}

void PredictionIntervals::Apply(Prediction& prediction) const {
  // A measured configuration keeps the spread of its own timed runs (AnswerFromMeasurement),
  // where they were recorded.
  if (prediction.explanation.measured() && prediction.p90_us > 0) return;
  // Outside what the platform measured (training_domain.h) its held-out residuals bound nothing:
  // the assumed interval, marked uncalibrated.
  if (!prediction.explanation.extrapolation().empty()) return ApplySpecEstimateInterval(prediction);
  if (!pooled_) return;
  const IntervalRatios* ratios = &*pooled_;
  const auto names = GroupNamesOf(prediction);
  for (int level = 0; level < kLevels; ++level) {
    if (names[level]->empty()) continue;
    if (const auto it = groups_[level].find(*names[level]); it != groups_[level].end()) {
      ratios = &it->second;
      break;
    }
  }
  prediction.p10_us = prediction.latency_us * ratios->lower;
  prediction.p90_us = prediction.latency_us * ratios->upper;
  prediction.interval_calibrated = true;
}

std::map<std::string, double> PredictionIntervals::parameters(const std::string& prefix) const {
  std::map<std::string, double> out;
  auto add = [&out](const std::string& name, const IntervalRatios& r) {
    out[name + ".p10_ratio"] = r.lower;
    out[name + ".p90_ratio"] = r.upper;
    out[name + ".residuals"] = r.residuals;
  };
  if (pooled_) add(prefix, *pooled_);
  for (const auto& level : groups_) {
    for (const auto& [name, ratios] : level) add(absl::StrCat(prefix, "[", name, "]"), ratios);
  }
  return out;
}

void ApplySpecEstimateInterval(Prediction& prediction) {
  prediction.p10_us = prediction.latency_us * kSpecLower;
  prediction.p90_us = prediction.latency_us * kSpecUpper;
  prediction.interval_calibrated = false;
}

}  // namespace convlat::model
