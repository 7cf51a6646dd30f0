#pragma once
// How well the 80 % prediction intervals hold on held-out layers: a model fitted on the training
// layers, its intervals calibrated on those layers alone (as the server calibrates them,
// interval_calibration.h), then scored on layers neither saw.

#include <cstdint>
#include <vector>

#include "model/eval/model_zoo.h"
#include "model/fit/error_metrics.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

struct IntervalEvaluation {
  size_t train_size = 0;
  double coverage = 0;     // share of held-out layers with p10 <= measured <= p90, 0..1
  double below = 0;        // share measured below p10
  double above = 0;        // share measured above p90
  double mean_width = 0;   // mean of (p90 - p10) / prediction
  double fit_seconds = 0;  // the model's fit plus the calibration's
  double calibration_seconds = 0;
  ErrorSummary errors;  // the point predictions, for MAPE beside the coverage
  std::string failure;  // non-empty when the model could not be fitted
};

IntervalEvaluation EvaluateIntervals(const ModelFitter& fitter, const std::vector<Sample>& train,
                                     const std::vector<Sample>& test, const HardwareInfo& hardware);

// For each size, `repeats` random training subsets of the pool: the same subsets LearningCurve
// draws with the same seed; the means over the repeats.
std::vector<IntervalEvaluation> IntervalCurve(const ModelFitter& fitter, const std::vector<Sample>& pool,
                                              const std::vector<Sample>& test, const std::vector<size_t>& sizes,
                                              int repeats, uint64_t seed, const HardwareInfo& hardware);

}  // namespace convlat::model
