#pragma once
// What the staircases miss, learnt from their own residuals: small gradient-boosted trees on
// ln(measured / staircase), reading the layer's parameters and the staircase's own terms (its
// kernel group, CTAs, waves, how full the last wave is). The prediction stays the staircase's,
// times one factor ("correction ×1.07" in the explanation), so kernel, tile, CTAs and waves still
// explain it.
//
// The fit checks itself: it learns on four fifths of the layers, and keeps the correction (refitted
// on all of them, with as many trees as did best) only when it lowers the relative error on the other fifth by a clear
// margin; with fewer than kMinSamples layers it is not tried at all. So it cannot make a small-data fit worse, where
// the staircases alone generalise best.

#include <array>
#include <optional>
#include <span>
#include <vector>

#include "model/fit/boosted_trees.h"
#include "model/layers/conv_shape.h"
#include "model/layers/features.h"
#include "model/two_mode/kernel_cost_model.h"

namespace convlat::model {

// One layer as the correction sees it: its parameters (`features` = ComputeFeatures(shape),
// `logs` = ComputeLogSizes(shape, features)) and the staircase that predicted it.
inline constexpr int kCorrectionFeatures = 20;
std::array<double, kCorrectionFeatures> CorrectionFeatures(const ConvShape& shape, const ConvFeatures& features,
                                                           const ConvLogSizes& logs, size_t group,
                                                           const WorkDecomposition& decomposition,
                                                           const KernelCostModel::Breakdown& cost);

class ResidualCorrection {
 public:
  static constexpr size_t kMinSamples = 250;
  // The held-out relative error must drop by at least this share for the correction to be kept.
  static constexpr double kRequiredGain = 0.03;

  struct Check {
    double mape_without = 0;  // on the held-out fifth, percent
    double mape_with = 0;
    int rounds = 0;  // trees kept (0: the correction did not help)
  };

  // `features` row-major (kCorrectionFeatures per row); `log_residuals` ln(measured / staircase).
  // nullopt when there are too few rows or the held-out check finds no gain; `check` (optional)
  // receives what the check saw.
  static std::optional<ResidualCorrection> Fit(std::span<const double> features, std::span<const double> log_residuals,
                                               std::span<const double> weights, Check* check = nullptr);

  // The factor on the staircase's latency.
  double Factor(std::span<const double> features) const;
  int rounds() const { return trees_.rounds(); }
  const Check& check() const { return check_; }

 private:
  BoostedTrees trees_;
  Check check_;
};

}  // namespace convlat::model
