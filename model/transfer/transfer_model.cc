#include "model/transfer/transfer_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "model/transfer/transfer_features.h"

namespace convlat::model {

std::vector<Sample> SeededSubset(const std::vector<Sample>& samples, int count, uint64_t seed) {
  std::vector<size_t> order(samples.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 random(seed);
  std::shuffle(order.begin(), order.end(), random);
  order.resize(std::min<size_t>(order.size(), std::max(count, 0)));
  std::vector<Sample> subset;
  subset.reserve(order.size());
  for (size_t i : order) subset.push_back(samples[i]);
  return subset;
}

absl::StatusOr<TransferModel> TransferModel::Fit(const std::vector<TransferSource>& sources,
                                                 const TransferOptions& options) {
  std::vector<std::vector<double>> features;
  std::vector<double> targets;
  TransferModel model;
  for (size_t s = 0; s < sources.size(); ++s) {
    const TransferSource& source = sources[s];
    bool used = false;
    for (const Sample& sample : SeededSubset(source.samples, options.max_samples_per_source, options.seed + s)) {
      if (!(sample.latency_us > 0) || sample.weight <= 0) continue;
      const TransferFeatures f = ComputeTransferFeatures(sample.shape, source.spec);
      features.emplace_back(f.begin(), f.end());
      targets.push_back(std::log(sample.latency_us / SpecRooflineUs(sample.shape, source.spec)));
      used = true;
    }
    if (used) model.source_names_.push_back(source.spec.name);
  }
  if (features.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no source platform has a positive measurement to transfer from (",
                                                   sources.size(), " sources given)"));
  }
  model.training_samples_ = static_cast<int64_t>(features.size());
  model.trees_ = BoostedTrees::Fit(features, targets, options.trees);
  return model;
}

double TransferModel::PredictUs(const ConvShape& shape, const TransferSpec& target) const {
  const TransferFeatures f = ComputeTransferFeatures(shape, target);
  return SpecRooflineUs(shape, target) * std::exp(trees_.Predict(f));
}

FewShotCorrection FitFewShotCorrection(const TransferModel& model, const TransferSpec& target,
                                       const std::vector<Sample>& target_samples, double prior_layers) {
  std::vector<double> x, e;
  for (const Sample& sample : target_samples) {
    if (!(sample.latency_us > 0)) continue;
    x.push_back(std::log(SpecRooflineUs(sample.shape, target)));
    e.push_back(std::log(sample.latency_us / model.PredictUs(sample.shape, target)));
  }
  FewShotCorrection correction;
  correction.layers = static_cast<int>(x.size());
  if (x.empty()) return correction;
  const double n = static_cast<double>(x.size());
  correction.center = std::accumulate(x.begin(), x.end(), 0.0) / n;
  // Centred, the two coefficients separate: each is a ridge estimate with its own prior weight. The
  // slope's prior counts `prior_layers` layers one log unit (e) away from the centre.
  double e_sum = 0, xe = 0, xx = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - correction.center;
    e_sum += e[i];
    xe += dx * e[i];
    xx += dx * dx;
  }
  correction.offset = e_sum / (n + prior_layers);
  correction.slope = xe / (xx + prior_layers);
  return correction;
}

double PredictRefinedUs(const TransferModel& model, const TransferSpec& target, const FewShotCorrection& correction,
                        const ConvShape& shape) {
  const double zero_shot = model.PredictUs(shape, target);
  if (correction.layers == 0) return zero_shot;
  return zero_shot * std::exp(correction.LogFactor(std::log(SpecRooflineUs(shape, target))));
}

std::vector<double> LeaveOneSourceOutLogResiduals(const std::vector<TransferSource>& sources,
                                                  const TransferOptions& options) {
  std::vector<double> residuals;
  if (sources.size() < 2) return residuals;
  for (size_t held_out = 0; held_out < sources.size(); ++held_out) {
    std::vector<TransferSource> others;
    for (size_t s = 0; s < sources.size(); ++s) {
      if (s != held_out) others.push_back(sources[s]);
    }
    absl::StatusOr<TransferModel> model = TransferModel::Fit(others, options);
    if (!model.ok()) continue;
    const TransferSource& target = sources[held_out];
    for (const Sample& sample : SeededSubset(target.samples, options.max_samples_per_source, options.seed + held_out)) {
      if (!(sample.latency_us > 0)) continue;
      const double predicted = model->PredictUs(sample.shape, target.spec);
      if (predicted > 0 && std::isfinite(predicted)) residuals.push_back(std::log(sample.latency_us / predicted));
    }
  }
  return residuals;
}

}  // namespace convlat::model
