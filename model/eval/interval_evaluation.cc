#include "model/eval/interval_evaluation.h"

#include <algorithm>
#include <chrono>

#include "model/eval/evaluation.h"
#include "model/interval/interval_calibration.h"

namespace convlat::model {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

IntervalEvaluation EvaluateIntervals(const ModelFitter& fitter, const std::vector<Sample>& train,
                                     const std::vector<Sample>& test, const HardwareInfo& hardware) {
  IntervalEvaluation result{.train_size = train.size()};
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<LatencyModel>> model = fitter.fit(train, hardware);
  if (!model.ok()) {
    result.failure = std::string(model.status().message());
    return result;
  }
  const auto calibration_start = std::chrono::steady_clock::now();
  const PredictionIntervals intervals =
      CalibrateConvIntervals(train, [&](const std::vector<Sample>& part) { return fitter.fit(part, hardware); });
  result.calibration_seconds = SecondsSince(calibration_start);
  result.fit_seconds = SecondsSince(start);
  if (!intervals.calibrated()) {
    result.failure = "too few training layers to calibrate an interval";
    return result;
  }
  std::vector<double> predicted, measured;
  for (const Sample& s : test) {
    Prediction p = (*model)->Predict(s.shape);
    intervals.Apply(p);
    predicted.push_back(p.latency_us);
    measured.push_back(s.latency_us);
    result.below += s.latency_us < p.p10_us;
    result.above += s.latency_us > p.p90_us;
    if (p.latency_us > 0) result.mean_width += (p.p90_us - p.p10_us) / p.latency_us;
  }
  const double n = std::max<size_t>(test.size(), 1);
  result.below /= n;
  result.above /= n;
  result.coverage = test.empty() ? 0 : 1 - result.below - result.above;
  result.mean_width /= n;
  result.errors = SummarizeErrors(predicted, measured);
  return result;
}

std::vector<IntervalEvaluation> IntervalCurve(const ModelFitter& fitter, const std::vector<Sample>& pool,
                                              const std::vector<Sample>& test, const std::vector<size_t>& sizes,
                                              int repeats, uint64_t seed, const HardwareInfo& hardware) {
  const std::vector<std::vector<size_t>> orders = LearningCurveOrders(pool.size(), repeats, seed);
  std::vector<IntervalEvaluation> results;
  for (size_t size : sizes) {
    size = std::min(size, pool.size());
    IntervalEvaluation mean{.train_size = size};
    for (const std::vector<size_t>& order : orders) {
      const IntervalEvaluation run = EvaluateIntervals(fitter, Subset(pool, order, size), test, hardware);
      if (!run.failure.empty()) {
        mean.failure = run.failure;
        break;
      }
      mean.coverage += run.coverage / repeats;
      mean.below += run.below / repeats;
      mean.above += run.above / repeats;
      mean.mean_width += run.mean_width / repeats;
      mean.fit_seconds += run.fit_seconds / repeats;
      mean.calibration_seconds += run.calibration_seconds / repeats;
      mean.errors.mape += run.errors.mape / repeats;
      mean.errors.within_10 += run.errors.within_10 / repeats;
      mean.errors.count += run.errors.count;
    }
    results.push_back(mean);
  }
  return results;
}

}  // namespace convlat::model
