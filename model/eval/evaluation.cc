#include "model/eval/evaluation.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "model/sweeps/active_sampling.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

// Averages the summaries of several repeats (counts add up).
ErrorSummary Mean(const std::vector<ErrorSummary>& runs) {
  ErrorSummary mean;
  for (const ErrorSummary& run : runs) {
    mean.mape += run.mape / runs.size();
    mean.rmspe += run.rmspe / runs.size();
    mean.within_10 += run.within_10 / runs.size();
    mean.count += run.count;
  }
  return mean;
}

std::vector<size_t> Shuffled(size_t n, std::mt19937_64& rng) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

}  // namespace

std::vector<std::vector<size_t>> LearningCurveOrders(size_t pool_size, int repeats, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<size_t>> orders;
  for (int r = 0; r < repeats; ++r) orders.push_back(Shuffled(pool_size, rng));
  return orders;
}

std::vector<Sample> Subset(const std::vector<Sample>& pool, const std::vector<size_t>& order, size_t size) {
  std::vector<Sample> subset;
  for (size_t i = 0; i < size && i < order.size(); ++i) subset.push_back(pool[order[i]]);
  return subset;
}

SampleSplit SplitSamples(std::vector<Sample> samples, double test_fraction, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::shuffle(samples.begin(), samples.end(), rng);
  const size_t test_size = std::clamp<size_t>(static_cast<size_t>(samples.size() * test_fraction), 1, samples.size());
  SampleSplit split;
  split.test.assign(samples.begin(), samples.begin() + test_size);
  split.train.assign(samples.begin() + test_size, samples.end());
  return split;
}

SampleSplit FoldOf(std::vector<Sample> samples, int folds, int fold, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::shuffle(samples.begin(), samples.end(), rng);
  SampleSplit split;
  for (size_t i = 0; i < samples.size(); ++i) {
    (static_cast<int>(i % folds) == fold ? split.test : split.train).push_back(samples[i]);
  }
  return split;
}

EvaluationResult Evaluate(const ModelFitter& fitter, const std::vector<Sample>& train, const std::vector<Sample>& test,
                          const HardwareInfo& hardware) {
  EvaluationResult result{.model = fitter.name, .train_size = train.size()};
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<LatencyModel>> model = fitter.fit(train, hardware);
  result.fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!model.ok()) {
    result.failure = std::string(model.status().message());
    return result;
  }
  result.errors = ErrorsOn(**model, test);
  return result;
}

std::vector<EvaluationResult> LearningCurve(const std::vector<ModelFitter>& fitters, const std::vector<Sample>& pool,
                                            const std::vector<Sample>& test, const std::vector<size_t>& sizes,
                                            int repeats, uint64_t seed, const HardwareInfo& hardware) {
  const std::vector<std::vector<size_t>> orders = LearningCurveOrders(pool.size(), repeats, seed);
  std::vector<EvaluationResult> results;
  for (size_t size : sizes) {
    size = std::min(size, pool.size());
    for (const ModelFitter& fitter : fitters) {
      std::vector<ErrorSummary> runs;
      EvaluationResult mean{.model = fitter.name, .train_size = size};
      for (const std::vector<size_t>& order : orders) {
        const EvaluationResult run = Evaluate(fitter, Subset(pool, order, size), test, hardware);
        mean.fit_seconds += run.fit_seconds / repeats;
        if (!run.failure.empty()) mean.failure = run.failure;
        runs.push_back(run.errors);
      }
      if (mean.failure.empty()) mean.errors = Mean(runs);
      results.push_back(mean);
    }
  }
  return results;
}

std::vector<SamplingComparison> CompareActiveSampling(const std::vector<Sample>& pool, const std::vector<Sample>& test,
                                                      const std::vector<size_t>& sizes, int repeats, uint64_t seed,
                                                      const HardwareInfo& hardware) {
  const ModelFitter two_mode{
      "two-mode", [](const auto& s, const HardwareInfo& hw) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
        auto fitted = TwoModeModel::Fit(s, hw);
        if (!fitted.ok()) return fitted.status();
        return std::unique_ptr<LatencyModel>(std::move(*fitted));
      }};
  std::mt19937_64 rng(seed);
  std::vector<std::vector<ErrorSummary>> active(sizes.size()), random(sizes.size());
  for (int r = 0; r < repeats; ++r) {
    const std::vector<size_t> order = Shuffled(pool.size(), rng);
    // Both start from the same random seed set; random goes on in `order`, active chooses.
    std::vector<bool> chosen(pool.size(), false);
    std::vector<Sample> active_train;
    for (size_t i = 0; i < std::min(sizes.front(), pool.size()); ++i) {
      chosen[order[i]] = true;
      active_train.push_back(pool[order[i]]);
    }
    for (size_t s = 0; s < sizes.size(); ++s) {
      const size_t size = std::min(sizes[s], pool.size());
      while (active_train.size() < size) {
        std::vector<size_t> remaining;
        std::vector<ConvShape> candidates;
        for (size_t i = 0; i < pool.size(); ++i) {
          if (!chosen[i]) remaining.push_back(i), candidates.push_back(pool[i].shape);
        }
        // Rounds of a quarter of what is measured: the committee is refitted between rounds.
        const size_t round = std::min(size - active_train.size(), std::max<size_t>(25, active_train.size() / 4));
        for (size_t pick : ChooseInformative(candidates, active_train, round, hardware, rng())) {
          chosen[remaining[pick]] = true;
          active_train.push_back(pool[remaining[pick]]);
        }
      }
      active[s].push_back(Evaluate(two_mode, active_train, test, hardware).errors);
      random[s].push_back(Evaluate(two_mode, Subset(pool, order, size), test, hardware).errors);
    }
  }
  std::vector<SamplingComparison> comparison;
  for (size_t s = 0; s < sizes.size(); ++s) {
    comparison.push_back({std::min(sizes[s], pool.size()), Mean(active[s]), Mean(random[s])});
  }
  return comparison;
}

}  // namespace convlat::model
