#include "model/serving_model.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "model/latency/roofline_model.h"
#include "model/plausibility_checks.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

// Whether the two-mode model, fitted on four fifths of the layers, predicts the other fifth at
// least as well as the roofline does. With few layers a staircase per kernel can be far worse than
// a line (on this repository's native-layout CPU data, 57 % against 8 % MAPE at 25 layers). Layers
// left out of the fit (weight 0) are left out of the comparison too.
bool TwoModeHoldsUp(const std::vector<Sample>& samples, const HardwareInfo& hardware) {
  std::vector<Sample> train, test;
  for (size_t i = 0; i < samples.size(); ++i) (i % 5 == 4 ? test : train).push_back(samples[i]);
  std::erase_if(test, [](const Sample& sample) { return !(sample.weight > 0); });
  absl::StatusOr<std::unique_ptr<TwoModeModel>> two_mode = TwoModeModel::Fit(train, hardware);
  absl::StatusOr<std::unique_ptr<RooflineModel>> roofline = RooflineModel::Fit(train);
  if (!two_mode.ok() || !roofline.ok() || test.empty()) return two_mode.ok();
  return ErrorsOn(**two_mode, test).mape <= ErrorsOn(**roofline, test).mape;
}

// Noisy samples (the agent's spread stayed too wide) are left out when the clean ones are enough
// for the fit (at least `min_clean`) and the majority; else they stay, down-weighted: when most of
// a sweep is noisy, that is the platform's normal (a shared VM) and leaving it out would lose
// whole families of layers. Returns {left out, down-weighted}.
template <typename SampleType>
std::pair<int64_t, int64_t> LeaveOutOrDownWeightNoisy(std::vector<SampleType>& samples, size_t min_clean) {
  const auto noisy =
      static_cast<size_t>(std::count_if(samples.begin(), samples.end(), [](const SampleType& s) { return s.noisy; }));
  if (noisy == 0) return {0, 0};
  const size_t clean = samples.size() - noisy;
  const bool leave_out = clean >= min_clean && clean >= noisy;
  for (SampleType& sample : samples) {
    if (sample.noisy) sample.weight = leave_out ? 0 : kNoisyWeight;
  }
  return leave_out ? std::pair<int64_t, int64_t>{noisy, 0} : std::pair<int64_t, int64_t>{0, noisy};
}

// The convolution model to serve, checked: an implausible two-mode model gives way to the
// roofline; an implausible roofline leaves nothing to serve.
absl::StatusOr<std::unique_ptr<LatencyModel>> FitPlausibleConvModel(const std::vector<Sample>& samples,
                                                                    const HardwareInfo& hardware,
                                                                    std::vector<RejectedFit>& rejected) {
  absl::StatusOr<std::unique_ptr<LatencyModel>> conv = FitLatencyModel(samples, hardware);
  if (!conv.ok()) return conv.status();
  std::optional<Implausibility> wrong = CheckConvModel(**conv, samples);
  if (!wrong) return conv;
  const std::string kind = (*conv)->kind();
  absl::StatusOr<std::unique_ptr<RooflineModel>> roofline =
      kind == "roofline-linear" ? absl::FailedPreconditionError("rejected") : RooflineModel::Fit(samples);
  const std::optional<Implausibility> roofline_wrong =
      roofline.ok() ? CheckConvModel(**roofline, samples) : std::nullopt;
  const bool roofline_serves = roofline.ok() && !roofline_wrong;
  rejected.push_back({"conv " + kind, wrong->check, wrong->reason, roofline_serves ? "conv roofline-linear" : "none"});
  if (roofline_serves) return std::unique_ptr<LatencyModel>(*std::move(roofline));
  if (roofline_wrong)
    rejected.push_back({"conv roofline-linear", roofline_wrong->check, roofline_wrong->reason, "none"});
  std::string reasons;
  for (const RejectedFit& fit : rejected)
    absl::StrAppend(&reasons, reasons.empty() ? "" : "; ", fit.model, ": ", fit.reason);
  return absl::FailedPreconditionError(absl::StrCat("no plausible convolution model (", reasons, ")"));
}

// Drops the op groups whose fits are implausible; false when the pooled fit is (then no op model
// is served: ops get the spec-roofline estimates). A group is checked against its broader fit as
// it stands before any drop, so the order of the checks does not matter.
bool KeepPlausibleOpGroups(OpLatencyModel& ops, const std::vector<OpSample>& samples,
                           std::vector<RejectedFit>& rejected) {
  std::vector<std::pair<std::string, Implausibility>> wrong;
  for (const OpLatencyModel::GroupCosts& group : ops.groups()) {
    // A function against its kind (sigmoid against all activations); a kind against all ops in a
    // layout would compare unlike things.
    const bool function_group = group.group.find(':') != std::string::npos;
    const std::optional<std::string> broader = function_group ? ops.BroaderFitOf(group.group) : std::nullopt;
    if (std::optional<Implausibility> why = CheckOpGroup(ops, group, samples, broader)) {
      wrong.push_back({group.group, *why});
    }
  }
  for (const auto& [group, why] : wrong) {
    if (group == OpLatencyModel::kPooled) {
      rejected.push_back({"op.all", why.check, why.reason, "spec-roofline"});
      return false;
    }
  }
  for (const auto& [group, why] : wrong) ops.DropGroup(group);
  for (const auto& [group, why] : wrong) {
    rejected.push_back({"op." + group, why.check, why.reason, "op." + ops.BroaderFitOf(group).value_or("all")});
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LatencyModel>> FitLatencyModel(const std::vector<Sample>& samples,
                                                              const HardwareInfo& hardware) {
  if (samples.size() >= TwoModeModel::kMinSamples && TwoModeHoldsUp(samples, hardware)) {
    absl::StatusOr<std::unique_ptr<TwoModeModel>> two_mode = TwoModeModel::Fit(samples, hardware);
    if (two_mode.ok()) return std::unique_ptr<LatencyModel>(std::move(*two_mode));
  }
  absl::StatusOr<std::unique_ptr<RooflineModel>> model = RooflineModel::Fit(samples);
  if (!model.ok()) return model.status();
  return std::unique_ptr<LatencyModel>(std::move(*model));
}

absl::StatusOr<ServingModel> FitServingModel(const std::vector<v1::Measurement>& measurements,
                                             const HardwareInfo& hardware) {
  ServingModel serving;
  std::vector<Sample> samples = SamplesFromMeasurements(measurements);
  const auto [conv_left_out, conv_down_weighted] = LeaveOutOrDownWeightNoisy(samples, TwoModeModel::kMinSamples);
  absl::StatusOr<std::unique_ptr<LatencyModel>> conv = FitPlausibleConvModel(samples, hardware, serving.rejected);
  if (!conv.ok()) return conv.status();
  serving.conv_samples = static_cast<int64_t>(samples.size());
  serving.conv_fit = ErrorsOn(**conv, samples);
  serving.conv = *std::move(conv);
  std::vector<OpSample> op_samples = OpSamplesFromMeasurements(measurements);
  const auto [ops_left_out, ops_down_weighted] =
      LeaveOutOrDownWeightNoisy(op_samples, OpLatencyModel::kMinSamplesPerFit);
  serving.noisy_left_out = conv_left_out + ops_left_out;
  serving.noisy_down_weighted = conv_down_weighted + ops_down_weighted;
  if (op_samples.empty()) return serving;
  absl::StatusOr<OpLatencyModel> ops = OpLatencyModel::Fit(op_samples);
  if (!ops.ok()) {
    serving.op_fit_error = ops.status().ToString();
    return serving;
  }
  if (!KeepPlausibleOpGroups(*ops, op_samples, serving.rejected)) {
    serving.op_fit_error = absl::StrCat("the pooled op fit is implausible: ", serving.rejected.back().reason);
    return serving;
  }
  serving.op_samples = static_cast<int64_t>(op_samples.size());
  serving.op_fit_mape = ErrorsOn(*ops, op_samples).mape;
  serving.ops = *std::move(ops);
  return serving;
}

}  // namespace convlat::model
