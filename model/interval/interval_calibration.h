#pragma once
// Calibrating prediction intervals when a platform's models are fitted: the model is fitted again
// without some of the samples and predicts them, and the spread of those held-out residuals
// (prediction_interval.h) is what the served model's intervals keep. Held-out, not in-sample,
// residuals: a fit predicts its own samples better than new layers, so in-sample quantiles would
// give intervals too narrow.

#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "model/interval/prediction_interval.h"
#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"

namespace convlat::model {

// Samples are cut into kCalibrationFolds folds by position (sample i in fold i mod 5: spread over a
// sweep's order, and the same every refit). Up to kCrossValidateUpTo samples every fold is held
// out in turn (each sample predicted once by a model that never saw it: enough residuals for
// quantiles even at 25 layers); above, one fold is, which costs one extra fit on 80 % of the data.
inline constexpr int kCalibrationFolds = 5;
inline constexpr size_t kCrossValidateUpTo = 1000;

using ConvFitter = std::function<absl::StatusOr<std::unique_ptr<LatencyModel>>(const std::vector<Sample>&)>;

// Calls `visit(train, test)` for each fold held out as described above: every fold up to
// kCrossValidateUpTo samples, the last one above. The serving fit's model choice holds out the
// same folds, so the intervals can reuse its held-out predictions.
template <typename SampleT, typename Visit>
void ForEachCalibrationFold(const std::vector<SampleT>& samples, const Visit& visit) {
  const int first_fold = samples.size() <= kCrossValidateUpTo ? 0 : kCalibrationFolds - 1;
  for (int fold = first_fold; fold < kCalibrationFolds; ++fold) {
    std::vector<SampleT> train, test;
    train.reserve(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      (static_cast<int>(i % kCalibrationFolds) == fold ? test : train).push_back(samples[i]);
    }
    visit(train, test);
  }
}

// Residuals of `fit`'s models on the samples they were not fitted on. Folds whose fit fails are
// skipped, so a tiny platform may give none.
std::vector<HeldOutResidual> HeldOutConvResiduals(const std::vector<Sample>& samples, const ConvFitter& fit);
std::vector<HeldOutResidual> HeldOutOpResiduals(const std::vector<OpSample>& samples);

PredictionIntervals CalibrateConvIntervals(const std::vector<Sample>& samples, const ConvFitter& fit);
PredictionIntervals CalibrateOpIntervals(const std::vector<OpSample>& samples);

}  // namespace convlat::model
