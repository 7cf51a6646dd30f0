#pragma once
// Held-out accuracy of latency models on identical splits: the numbers in docs/accuracy.md.

#include <cstdint>
#include <string>
#include <vector>

#include "model/eval/model_zoo.h"
#include "model/fit/error_metrics.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

struct SampleSplit {
  std::vector<Sample> train;
  std::vector<Sample> test;
};
// A seeded random split; `test_fraction` of the samples (at least 1) are held out.
SampleSplit SplitSamples(std::vector<Sample> samples, double test_fraction, uint64_t seed);
// Fold `fold` of `folds` (samples shuffled with `seed`) is the test set.
SampleSplit FoldOf(std::vector<Sample> samples, int folds, int fold, uint64_t seed);

struct EvaluationResult {
  std::string model;
  size_t train_size = 0;
  ErrorSummary errors;     // on the test samples (averaged over repeats in learning curves)
  double fit_seconds = 0;  // mean per fit
  std::string failure;     // non-empty when the model could not be fitted
};

EvaluationResult Evaluate(const ModelFitter& fitter, const std::vector<Sample>& train, const std::vector<Sample>& test,
                          const HardwareInfo& hardware);

// The training subsets the learning curves fit: `repeats` shuffles of the pool's indices, drawn in
// turn from one generator seeded with `seed`; a subset of `size` layers is the first `size` of one
// (Subset). LearningCurve, IntervalCurve and the tests that replay one of their fits share them.
std::vector<std::vector<size_t>> LearningCurveOrders(size_t pool_size, int repeats, uint64_t seed);
std::vector<Sample> Subset(const std::vector<Sample>& pool, const std::vector<size_t>& order, size_t size);

// For each size, `repeats` random training subsets of the pool (the same subsets for every
// model), each evaluated on `test`; sizes larger than the pool are clipped to it.
std::vector<EvaluationResult> LearningCurve(const std::vector<ModelFitter>& fitters, const std::vector<Sample>& pool,
                                            const std::vector<Sample>& test, const std::vector<size_t>& sizes,
                                            int repeats, uint64_t seed, const HardwareInfo& hardware);

// The two-mode model's held-out error when its training samples are chosen by active sampling
// (starting from `sizes[0]` random ones) against the same number chosen at random.
struct SamplingComparison {
  size_t train_size = 0;
  ErrorSummary active;
  ErrorSummary random;
};
std::vector<SamplingComparison> CompareActiveSampling(const std::vector<Sample>& pool, const std::vector<Sample>& test,
                                                      const std::vector<size_t>& sizes, int repeats, uint64_t seed,
                                                      const HardwareInfo& hardware);

}  // namespace convlat::model
