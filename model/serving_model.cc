#include "model/serving_model.h"

#include "model/latency/roofline_model.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

// Whether the two-mode model, fitted on four fifths of the layers, predicts the other fifth at
// least as well as the roofline does. With few layers a staircase per kernel can be far worse than
// a line (on this repository's native-layout CPU data, 57 % against 8 % MAPE at 25 layers).
bool TwoModeHoldsUp(const std::vector<Sample>& samples, const HardwareInfo& hardware) {
  std::vector<Sample> train, test;
  for (size_t i = 0; i < samples.size(); ++i) (i % 5 == 4 ? test : train).push_back(samples[i]);
  absl::StatusOr<std::unique_ptr<TwoModeModel>> two_mode = TwoModeModel::Fit(train, hardware);
  absl::StatusOr<std::unique_ptr<RooflineModel>> roofline = RooflineModel::Fit(train);
  if (!two_mode.ok() || !roofline.ok() || test.empty()) return two_mode.ok();
  return ErrorsOn(**two_mode, test).mape <= ErrorsOn(**roofline, test).mape;
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
  const std::vector<Sample> samples = SamplesFromMeasurements(measurements);
  absl::StatusOr<std::unique_ptr<LatencyModel>> conv = FitLatencyModel(samples, hardware);
  if (!conv.ok()) return conv.status();
  ServingModel serving;
  serving.conv_samples = static_cast<int64_t>(samples.size());
  serving.conv_fit = ErrorsOn(**conv, samples);
  serving.conv = *std::move(conv);
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
  return serving;
}

}  // namespace convlat::model
