#pragma once
// The 80 % prediction interval [p10, p90] of a latency prediction: quantiles of the held-out
// residuals log(measured / predicted), kept per group of predictions (kernel, kernel family, op
// fit) where the group has enough of them, else pooled over the model. Applying one is a lookup and
// two multiplications, so intervals cost next to nothing at serving time.

#include <array>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

// One held-out prediction: how far it was from the measurement, and the prediction itself (its
// explanation names the groups it belongs to).
struct HeldOutResidual {
  Prediction prediction;
  double measured_us = 0;
};

// Multipliers of the prediction: p10 = prediction × lower, p90 = prediction × upper.
struct IntervalRatios {
  double lower = 1;
  double upper = 1;
  int residuals = 0;  // held-out residuals they come from
};

// The quantiles of log(measured / predicted) at 10 % and 90 %, widened for few residuals as split
// conformal prediction does (order statistic ⌈(n+1)·0.9⌉ of n). Residuals must be finite.
IntervalRatios RatiosFromLogResiduals(std::vector<double> log_residuals);

class PredictionIntervals {
 public:
  // A group (one kernel, one kernel family, one op fit) needs this many held-out residuals for
  // quantiles of its own: fewer make the 10 % and 90 % quantiles mostly noise.
  static constexpr int kMinGroupResiduals = 40;

  // Empty (no interval for anything) when there are no residuals.
  static PredictionIntervals Calibrate(const std::vector<HeldOutResidual>& residuals,
                                       int min_group_residuals = kMinGroupResiduals);

  // Sets p10_us and p90_us (and interval_calibrated) from the most specific group of the
  // prediction that has quantiles: its kernel, its kernel family, its model kind, else the pooled
  // ones. Leaves the prediction without an interval when nothing was calibrated. A prediction
  // marked as an extrapolation (Explanation.extrapolation) gets the assumed interval instead.
  void Apply(Prediction& prediction) const;
  bool calibrated() const { return pooled_.has_value(); }
  const std::optional<IntervalRatios>& pooled() const { return pooled_; }

  // "<prefix>.p10_ratio", "<prefix>.p90_ratio", "<prefix>.residuals" pooled, and
  // "<prefix>[<group>].*" for every group with its own quantiles.
  std::map<std::string, double> parameters(const std::string& prefix) const;

 private:
  // Most specific first: explanation.kernel(), .kernel_family(), .model_kind().
  static constexpr int kLevels = 3;
  std::array<absl::flat_hash_map<std::string, IntervalRatios>, kLevels> groups_;
  std::optional<IntervalRatios> pooled_;
};

// The interval given to a spec-roofline estimate or an extrapolation (no measurement of such a
// layer on the platform, so nothing to calibrate on): marked uncalibrated, and as wide as the
// assumption behind it is weak.
void ApplySpecEstimateInterval(Prediction& prediction);

}  // namespace convlat::model
