#include "model/serving_model.h"

#include "model/interval/interval_calibration.h"
#include "model/latency/roofline_model.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

// Whether the two-mode model, fitted on four fifths of the layers, predicts the other fifth at
// least as well as the roofline does. With few layers a staircase per kernel can be far worse than
// a line (on this repository's native-layout CPU data, 57 % against 8 % MAPE at 25 layers).
// The winner's predictions of that fifth are kept: held-out residuals the intervals can be
// calibrated on without another fit (the fold interval_calibration.h holds out).
struct HeldOutChoice {
  bool two_mode = false;
  std::vector<HeldOutResidual> residuals;  // of the chosen kind, on the held-out fifth
};
HeldOutChoice TwoModeHoldsUp(const std::vector<Sample>& samples, const HardwareInfo& hardware) {
  std::vector<Sample> train, test;
  for (size_t i = 0; i < samples.size(); ++i) (i % 5 == 4 ? test : train).push_back(samples[i]);
  absl::StatusOr<std::unique_ptr<TwoModeModel>> two_mode = TwoModeModel::Fit(train, hardware);
  absl::StatusOr<std::unique_ptr<RooflineModel>> roofline = RooflineModel::Fit(train);
  if (!two_mode.ok() || !roofline.ok() || test.empty()) return {two_mode.ok(), {}};
  HeldOutChoice choice{ErrorsOn(**two_mode, test).mape <= ErrorsOn(**roofline, test).mape, {}};
  const LatencyModel& chosen = choice.two_mode ? static_cast<const LatencyModel&>(**two_mode) : **roofline;
  for (const Sample& s : test) choice.residuals.push_back({chosen.Predict(s.shape), s.latency_us});
  return choice;
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

// Intervals are calibrated on the kind of model that is served, without choosing again per fold.
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

}  // namespace

absl::StatusOr<std::unique_ptr<LatencyModel>> FitLatencyModel(const std::vector<Sample>& samples,
                                                              const HardwareInfo& hardware) {
  absl::StatusOr<ConvFit> fit = FitConvModel(samples, hardware);
  if (!fit.ok()) return fit.status();
  return std::move(fit->model);
}

absl::StatusOr<ServingModel> FitServingModel(const std::vector<v1::Measurement>& measurements,
                                             const HardwareInfo& hardware) {
  const std::vector<Sample> samples = SamplesFromMeasurements(measurements);
  absl::StatusOr<ConvFit> conv = FitConvModel(samples, hardware);
  if (!conv.ok()) return conv.status();
  ServingModel serving;
  serving.conv_samples = static_cast<int64_t>(samples.size());
  serving.conv_fit = ErrorsOn(*conv->model, samples);
  serving.conv = std::move(conv->model);
  // Many samples: the fifth the model choice held out is enough, and costs no fit. Few: every
  // sample held out once (five small fits), or the quantiles would rest on a handful of layers.
  serving.conv_intervals = samples.size() > kCrossValidateUpTo && !conv->held_out.empty()
                               ? PredictionIntervals::Calibrate(conv->held_out)
                               : CalibrateConvIntervals(samples, ConvFitterOfKind(serving.conv->kind(), hardware));
  const std::vector<OpSample> op_samples = OpSamplesFromMeasurements(measurements);
  if (op_samples.empty()) return serving;
  absl::StatusOr<OpLatencyModel> ops = OpLatencyModel::Fit(op_samples);
  if (!ops.ok()) {
    serving.op_fit_error = ops.status().ToString();
    return serving;
  }
  serving.op_samples = static_cast<int64_t>(op_samples.size());
  serving.op_fit_mape = ErrorsOn(*ops, op_samples).mape;
  serving.ops = *std::move(ops);
  serving.op_intervals = CalibrateOpIntervals(op_samples);
  return serving;
}

}  // namespace convlat::model
