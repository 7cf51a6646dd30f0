#include "model/sweeps/active_sampling.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

constexpr int kCommitteeSize = 4;
constexpr double kKernelSwitchBonus = 0.5;
constexpr double kStepEdgeBonus = 0.2;
constexpr double kNearbyDistance = 1.0;  // in log2 units of the classifier's features
constexpr size_t kRandomEvery = 2;
constexpr size_t kMaxCommitteeSamples = 1500;

double Distance(const std::vector<double>& a, const std::vector<double>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return std::sqrt(sum);
}

// Space filling: repeatedly the candidate farthest from everything measured or picked.
std::vector<size_t> FarthestFirst(const std::vector<std::vector<double>>& candidates,
                                  const std::vector<std::vector<double>>& measured, size_t count) {
  std::vector<double> nearest(candidates.size(), 1e300);
  for (size_t i = 0; i < candidates.size(); ++i) {
    for (const auto& m : measured) nearest[i] = std::min(nearest[i], Distance(candidates[i], m));
  }
  std::vector<size_t> picked;
  while (picked.size() < std::min(count, candidates.size())) {
    const size_t best = std::max_element(nearest.begin(), nearest.end()) - nearest.begin();
    if (nearest[best] < 0) break;
    picked.push_back(best);
    for (size_t i = 0; i < candidates.size(); ++i)
      nearest[i] = std::min(nearest[i], Distance(candidates[i], candidates[best]));
    nearest[best] = -1;
  }
  return picked;
}

}  // namespace

std::vector<size_t> ChooseInformative(const std::vector<ConvShape>& candidates, const std::vector<Sample>& measured,
                                      size_t count, const HardwareInfo& hardware, uint64_t seed) {
  std::vector<std::vector<double>> features;
  for (const ConvShape& shape : candidates) {
    const auto row = KernelChoiceFeatures(shape);
    features.emplace_back(row.begin(), row.end());
  }
  if (measured.size() < 2 * TwoModeModel::kMinSamples) {
    std::vector<std::vector<double>> measured_features;
    for (const Sample& sample : measured) {
      const auto row = KernelChoiceFeatures(sample.shape);
      measured_features.emplace_back(row.begin(), row.end());
    }
    return FarthestFirst(features, measured_features, count);
  }

  std::mt19937_64 rng(seed);
  absl::StatusOr<std::unique_ptr<TwoModeModel>> full = TwoModeModel::Fit(measured, hardware);
  std::vector<std::unique_ptr<TwoModeModel>> committee;
  for (int member = 0; member < kCommitteeSize; ++member) {
    std::vector<Sample> resample;
    std::uniform_int_distribution<size_t> draw(0, measured.size() - 1);
    // Bootstrap resamples, capped: the committee only has to disagree where data is thin, and a
    // plan must come back well within the agent's RPC deadline on platforms of many thousands.
    const size_t size = std::min(measured.size(), kMaxCommitteeSamples);
    for (size_t i = 0; i < size; ++i) resample.push_back(measured[draw(rng)]);
    absl::StatusOr<std::unique_ptr<TwoModeModel>> fitted = TwoModeModel::Fit(resample, hardware);
    if (fitted.ok()) committee.push_back(std::move(*fitted));
  }
  if (!full.ok() || committee.size() < 2) return FarthestFirst(features, {}, count);

  std::vector<double> score(candidates.size(), 0);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const ConvShape& shape = candidates[i];
    double sum = 0, sum_sq = 0;
    bool kernels_differ = false;
    const std::string& first_kernel = committee[0]->PredictKernel(shape);
    for (const auto& member : committee) {
      const double log_latency = std::log(std::max(member->Predict(shape).latency_us, 1e-3));
      sum += log_latency;
      sum_sq += log_latency * log_latency;
      kernels_differ = kernels_differ || member->PredictKernel(shape) != first_kernel;
    }
    const double n = static_cast<double>(committee.size());
    score[i] = std::sqrt(std::max(sum_sq / n - (sum / n) * (sum / n), 0.0));
    if (kernels_differ) score[i] += kKernelSwitchBonus;
    ConvShape neighbour = shape;
    neighbour.k = shape.k + shape.groups;  // one more output channel per group
    if ((*full)->Predict(neighbour).explanation.waves() != (*full)->Predict(shape).explanation.waves()) {
      score[i] += kStepEdgeBonus;
    }
  }

  std::vector<size_t> picked;
  std::vector<bool> taken(candidates.size(), false);
  std::vector<size_t> random_order(candidates.size());
  for (size_t i = 0; i < random_order.size(); ++i) random_order[i] = i;
  std::shuffle(random_order.begin(), random_order.end(), rng);
  size_t next_random = 0;
  while (picked.size() < std::min(count, candidates.size())) {
    size_t best = candidates.size();
    if (picked.size() % kRandomEvery == kRandomEvery - 1) {
      // Every other pick is drawn at random: pure disagreement sampling chases the extremes and
      // noisy corners of the space and leaves the model blind to the typical layer.
      while (taken[random_order[next_random]]) ++next_random;
      best = random_order[next_random];
    } else {
      for (size_t i = 0; i < candidates.size(); ++i) {
        if (!taken[i] && (best == candidates.size() || score[i] > score[best])) best = i;
      }
    }
    picked.push_back(best);
    taken[best] = true;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (!taken[i] && Distance(features[i], features[best]) < kNearbyDistance) score[i] *= 0.5;
    }
  }
  return picked;
}

}  // namespace convlat::model
