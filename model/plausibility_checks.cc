#include "model/plausibility_checks.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "model/latency/spec_roofline.h"

namespace convlat::model {
namespace {

// The measured range of the layers a fit was fitted on.
struct Range {
  double min = std::numeric_limits<double>::infinity();
  double max = 0;
  int layers = 0;
  void Add(double latency_us) {
    min = std::min(min, latency_us);
    max = std::max(max, latency_us);
    ++layers;
  }
};

std::optional<Implausibility> CheckFixedCost(double fixed_us, bool has_size_term, const Range& range) {
  if (fixed_us > range.max) {
    return Implausibility{"fixed_above_slowest_layer",
                          absl::StrFormat("fixed cost %.4g us is above the slowest of its %d measured layers (%.4g us)",
                                          fixed_us, range.layers, range.max)};
  }
  if (!has_size_term && fixed_us > kNoSizeTermFactor * range.min) {
    return Implausibility{
        "no_size_term",
        absl::StrFormat("no bandwidth or throughput term, and its fixed cost %.4g us is over %g times the fastest of "
                        "its %d measured layers (%.4g us): every size predicted alike",
                        fixed_us, kNoSizeTermFactor, range.layers, range.min)};
  }
  return std::nullopt;
}

// The predictions for the training layers (`predict(i)`, i < count) against the measured range.
std::optional<Implausibility> CheckPredictions(int count, const std::function<double(int)>& predict,
                                               const Range& range) {
  const double low = range.min / kRangeFactor, high = range.max * kRangeFactor;
  int outside = 0;
  double worst = 0;
  for (int i = 0; i < count; ++i) {
    const double predicted = predict(i);
    if (predicted >= low && predicted <= high) continue;
    if (outside++ == 0 || std::abs(predicted - range.max) > std::abs(worst - range.max)) worst = predicted;
  }
  if (outside == 0) return std::nullopt;
  return Implausibility{
      "outside_training_range",
      absl::StrFormat("predicts %d of its %d measured layers outside [%.4g, %.4g] us (%g times beyond the "
                      "measured %.4g..%.4g us), e.g. %.4g us",
                      outside, count, low, high, kRangeFactor, range.min, range.max, worst)};
}

}  // namespace

std::optional<Implausibility> CheckConvModel(const LatencyModel& model, const std::vector<Sample>& samples) {
  std::vector<const Sample*> trained;
  Range range;
  for (const Sample& sample : samples) {
    if (!(sample.weight > 0) || !(sample.latency_us > 0)) continue;
    trained.push_back(&sample);
    range.Add(sample.latency_us);
  }
  if (trained.empty()) return std::nullopt;  // nothing to check against (the fit itself would have failed)
  const std::map<std::string, double> parameters = model.parameters();
  auto parameter = [&parameters](const char* name) {
    const auto it = parameters.find(name);
    return it == parameters.end() ? -1.0 : it->second;
  };
  // Only a model that names its bandwidth and throughput can say it has neither.
  const bool has_size_term = !(parameter("bandwidth_gbps") == 0 && parameter("throughput_gflops") == 0);
  if (auto wrong = CheckFixedCost(LaunchFloorUs(model), has_size_term, range)) return wrong;
  return CheckPredictions(
      static_cast<int>(trained.size()), [&](int i) { return model.Predict(trained[i]->shape).latency_us; }, range);
}

std::optional<Implausibility> CheckOpGroup(const OpLatencyModel& model, const OpLatencyModel::GroupCosts& group,
                                           const std::vector<OpSample>& samples,
                                           const std::optional<std::string>& broader) {
  std::vector<const OpSample*> trained;
  Range range;
  for (const OpSample& sample : samples) {
    if (!(sample.weight > 0) || !(sample.latency_us > 0)) continue;
    if (group.group != OpLatencyModel::kPooled) {
      const std::vector<std::string> groups = OpGroupsOf(sample.op);
      if (std::find(groups.begin(), groups.end(), group.group) == groups.end()) continue;
    }
    trained.push_back(&sample);
    range.Add(sample.latency_us);
  }
  if (trained.empty()) return std::nullopt;
  if (auto wrong = CheckFixedCost(group.fixed_us, group.us_per_byte > 0 || group.us_per_flop > 0, range)) {
    return wrong;
  }
  auto predict = [&](int i) { return model.PredictWithGroup(trained[i]->op, group.group).value_or(0); };
  if (auto wrong = CheckPredictions(static_cast<int>(trained.size()), predict, range)) return wrong;
  if (!broader) return std::nullopt;
  std::vector<double> ratios;
  for (int i = 0; i < static_cast<int>(trained.size()); ++i) {
    const double other = model.PredictWithGroup(trained[i]->op, *broader).value_or(0);
    if (other > 0) ratios.push_back(predict(i) / other);
  }
  if (ratios.empty()) return std::nullopt;
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
  const double median = ratios[ratios.size() / 2];
  if (median <= kRangeFactor && median >= 1 / kRangeFactor) return std::nullopt;
  return Implausibility{"disagrees_with_broader_fit",
                        absl::StrFormat("predicts its %d measured layers %.3g times what the broader fit %s does "
                                        "(median), beyond the %g the checks allow",
                                        static_cast<int>(trained.size()), median, *broader, kRangeFactor)};
}

}  // namespace convlat::model
