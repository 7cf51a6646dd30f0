#include "model/serving_model.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "absl/strings/str_cat.h"
#include "model/interval/interval_calibration.h"
#include "model/interval/training_domain.h"
#include "model/latency/roofline_model.h"
#include "model/plausibility_checks.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

// Whether the two-mode model predicts layers it was not fitted on at least as well as the
// roofline does. With few layers a staircase per kernel can be far worse than a line (on this
// repository's native-layout CPU data, 57 % against 8 % MAPE at 25 layers). Up to
// kCrossValidateUpTo layers every fold of interval_calibration.h is held out in turn (five fits of
// each kind): one fifth of 50 layers is 10, and a choice made on 10 layers is a coin toss (it
// served the roofline often enough that the served fit of a GPU with 50 layers scored 2-3 points
// worse than the two-mode fit it turned down). Above, the last fold alone, one fit of each kind.
// Layers left out of the fit (weight 0) are left out of the comparison too. The winner's held-out
// predictions are kept: residuals the intervals can be calibrated on without another fit.
struct HeldOutChoice {
  bool two_mode = false;
  std::vector<HeldOutResidual> residuals;  // of the chosen kind, on every fold held out
};
HeldOutChoice TwoModeHoldsUp(const std::vector<Sample>& samples, const HardwareInfo& hardware) {
  std::vector<HeldOutResidual> two_mode_residuals, roofline_residuals;
  double two_mode_error = 0, roofline_error = 0;  // sums of relative errors where both kinds fitted
  size_t compared = 0;
  bool two_mode_fitted = false;
  ForEachCalibrationFold(samples, [&](const std::vector<Sample>& train, const std::vector<Sample>& test) {
    absl::StatusOr<std::unique_ptr<TwoModeModel>> two_mode = TwoModeModel::Fit(train, hardware);
    absl::StatusOr<std::unique_ptr<RooflineModel>> roofline = RooflineModel::Fit(train);
    two_mode_fitted = two_mode_fitted || two_mode.ok();
    for (const Sample& s : test) {
      if (!(s.weight > 0)) continue;
      std::optional<Prediction> by_two_mode, by_roofline;
      if (two_mode.ok()) by_two_mode = (*two_mode)->Predict(s.shape);
      if (roofline.ok()) by_roofline = (*roofline)->Predict(s.shape);
      if (by_two_mode && by_roofline) {
        two_mode_error += std::abs(by_two_mode->latency_us - s.latency_us) / s.latency_us;
        roofline_error += std::abs(by_roofline->latency_us - s.latency_us) / s.latency_us;
        ++compared;
      }
      if (by_two_mode) two_mode_residuals.push_back({*std::move(by_two_mode), s.latency_us});
      if (by_roofline) roofline_residuals.push_back({*std::move(by_roofline), s.latency_us});
    }
  });
  // Nothing to compare on (a fold without layers, or one kind never fitted): the two-mode model
  // when it fits at all, as with plenty of layers.
  const bool two_mode = compared == 0 ? two_mode_fitted : two_mode_error <= roofline_error;
  return {two_mode, std::move(two_mode ? two_mode_residuals : roofline_residuals)};
}

// The conv model to serve, and held-out residuals of its kind when the choice made some.
struct ConvFit {
  std::unique_ptr<LatencyModel> model;
  std::vector<HeldOutResidual> held_out;
};
absl::StatusOr<ConvFit> FitConvModel(const std::vector<Sample>& samples, const HardwareInfo& hardware) {
  if (samples.size() >= TwoModeModel::kMinSamples) {
    HeldOutChoice choice = TwoModeHoldsUp(samples, hardware);
    if (choice.two_mode) {
      absl::StatusOr<std::unique_ptr<TwoModeModel>> two_mode = TwoModeModel::Fit(samples, hardware);
      if (two_mode.ok()) return ConvFit{std::move(*two_mode), std::move(choice.residuals)};
    } else {
      absl::StatusOr<std::unique_ptr<RooflineModel>> model = RooflineModel::Fit(samples);
      if (!model.ok()) return model.status();
      return ConvFit{std::move(*model), std::move(choice.residuals)};
    }
  }
  absl::StatusOr<std::unique_ptr<RooflineModel>> model = RooflineModel::Fit(samples);
  if (!model.ok()) return model.status();
  return ConvFit{std::move(*model), {}};
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
// The held-out residuals come with the model only when it is the one they were computed for.
absl::StatusOr<ConvFit> FitPlausibleConvModel(const std::vector<Sample>& samples, const HardwareInfo& hardware,
                                              std::vector<RejectedFit>& rejected) {
  absl::StatusOr<ConvFit> conv = FitConvModel(samples, hardware);
  if (!conv.ok()) return conv.status();
  std::optional<Implausibility> wrong = CheckConvModel(*conv->model, samples);
  if (!wrong) return conv;
  const std::string kind = conv->model->kind();
  absl::StatusOr<std::unique_ptr<RooflineModel>> roofline =
      kind == "roofline-linear" ? absl::FailedPreconditionError("rejected") : RooflineModel::Fit(samples);
  const std::optional<Implausibility> roofline_wrong =
      roofline.ok() ? CheckConvModel(**roofline, samples) : std::nullopt;
  const bool roofline_serves = roofline.ok() && !roofline_wrong;
  rejected.push_back({"conv " + kind, wrong->check, wrong->reason, roofline_serves ? "conv roofline-linear" : "none"});
  if (roofline_serves) return ConvFit{std::unique_ptr<LatencyModel>(*std::move(roofline)), {}};
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

// The hot models beside the evicted ones, fitted and checked alike; what is rejected is listed
// (prefixed "hot ") and leaves that kind evicted in network predictions.
void FitHotModels(const std::vector<v1::Measurement>& measurements, const HardwareInfo& hardware,
                  ServingModel& serving) {
  const std::vector<v1::Measurement> hot = HotTimingsOf(measurements);
  if (hot.empty()) return;
  serving.hot_samples = static_cast<int64_t>(hot.size());
  std::vector<RejectedFit> rejected;
  if (std::vector<Sample> samples = SamplesFromMeasurements(hot); !samples.empty()) {
    absl::StatusOr<ConvFit> conv = FitPlausibleConvModel(samples, hardware, rejected);
    if (conv.ok()) serving.hot_conv = std::move(conv->model);
  }
  if (std::vector<OpSample> op_samples = OpSamplesFromMeasurements(hot); !op_samples.empty()) {
    absl::StatusOr<OpLatencyModel> ops = OpLatencyModel::Fit(op_samples);
    if (ops.ok() && KeepPlausibleOpGroups(*ops, op_samples, rejected)) serving.hot_ops = *std::move(ops);
  }
  for (RejectedFit& fit : rejected) {
    fit.model = "hot " + fit.model;
    if (fit.fallback != "none" && fit.fallback != "spec-roofline") fit.fallback = "hot " + fit.fallback;
    serving.rejected.push_back(std::move(fit));
  }
}

}  // namespace

ConvFitter ConvFitterOfKind(const std::string& kind, const HardwareInfo& hardware) {
  if (kind == "two-mode") {
    return [hardware](const std::vector<Sample>& train) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
      absl::StatusOr<std::unique_ptr<TwoModeModel>> model = TwoModeModel::Fit(train, hardware);
      if (!model.ok()) return model.status();
      return std::unique_ptr<LatencyModel>(std::move(*model));
    };
  }
  return [](const std::vector<Sample>& train) -> absl::StatusOr<std::unique_ptr<LatencyModel>> {
    absl::StatusOr<std::unique_ptr<RooflineModel>> model = RooflineModel::Fit(train);
    if (!model.ok()) return model.status();
    return std::unique_ptr<LatencyModel>(std::move(*model));
  };
}

absl::StatusOr<std::unique_ptr<LatencyModel>> FitLatencyModel(const std::vector<Sample>& samples,
                                                              const HardwareInfo& hardware) {
  absl::StatusOr<ConvFit> fit = FitConvModel(samples, hardware);
  if (!fit.ok()) return fit.status();
  return std::move(fit->model);
}

absl::StatusOr<ServingModel> FitServingModel(const std::vector<v1::Measurement>& measurements,
                                             const HardwareInfo& hardware, const CalibrationFitter& calibrate_with) {
  ServingModel serving;
  std::vector<Sample> samples = SamplesFromMeasurements(measurements);
  const auto [conv_left_out, conv_down_weighted] = LeaveOutOrDownWeightNoisy(samples, TwoModeModel::kMinSamples);
  absl::StatusOr<ConvFit> conv = FitPlausibleConvModel(samples, hardware, serving.rejected);
  if (!conv.ok()) return conv.status();
  serving.conv_samples = static_cast<int64_t>(samples.size());
  serving.conv_fit = ErrorsOn(*conv->model, samples);
  serving.conv = std::make_unique<DomainCheckedModel>(std::move(conv->model), TrainingDomain::Of(samples));
  if (calibrate_with) {
    serving.conv_intervals =
        CalibrateConvIntervals(samples, calibrate_with(ConvFitterOfKind(serving.conv->kind(), hardware)));
  }
  // The model choice's held-out predictions, when they are of the kind served: every sample held
  // out once up to kCrossValidateUpTo (or the quantiles would rest on a handful of layers), one
  // fifth above; no fit of its own. Else (the choice was overruled, or not made) five more fits.
  if (!serving.conv_intervals.calibrated()) {
    serving.conv_intervals = !conv->held_out.empty()
                                 ? PredictionIntervals::Calibrate(conv->held_out)
                                 : CalibrateConvIntervals(samples, ConvFitterOfKind(serving.conv->kind(), hardware));
  }
  std::vector<OpSample> op_samples = OpSamplesFromMeasurements(measurements);
  const auto [ops_left_out, ops_down_weighted] =
      LeaveOutOrDownWeightNoisy(op_samples, OpLatencyModel::kMinSamplesPerFit);
  serving.noisy_left_out = conv_left_out + ops_left_out;
  serving.noisy_down_weighted = conv_down_weighted + ops_down_weighted;
  FitHotModels(measurements, hardware, serving);
  serving.measured = MeasuredLayers::FromMeasurements(measurements);
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
  serving.op_intervals = CalibrateOpIntervals(op_samples);
  return serving;
}

}  // namespace convlat::model
