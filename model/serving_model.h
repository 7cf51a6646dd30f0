#pragma once
// What the server serves for a platform: the convolution model it picks (the two-mode model when
// it predicts layers it was not fitted on at least as well as the roofline does: every fifth held
// out in turn up to 1,000 layers, the last fifth above; else the roofline) and the op model, both
// fitted from the platform's measurements and checked for plausibility before they are served.
// This is the one place that knows the concrete models; latency_model.h stays an interface.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "model/fit/error_metrics.h"
#include "model/interval/interval_calibration.h"
#include "model/interval/prediction_interval.h"
#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"
#include "model/measured/measured_layers.h"

namespace convlat::model {

// The convolution model to serve. FAILED_PRECONDITION when there are too few samples to fit either.
absl::StatusOr<std::unique_ptr<LatencyModel>> FitLatencyModel(const std::vector<Sample>& samples,
                                                              const HardwareInfo& hardware = {});

// A fit the checks before serving rejected (plausibility_checks.h), and what serves instead.
struct RejectedFit {
  std::string model;     // "conv two-mode", "conv roofline-linear", "op.<group>"
  std::string check;     // Implausibility::check
  std::string reason;    // Implausibility::reason
  std::string fallback;  // "conv roofline-linear", "op.<next group>", "spec-roofline"
};

struct ServingModel {
  // Its predictions outside what the platform measured carry the reason (DomainCheckedModel).
  std::unique_ptr<const LatencyModel> conv;
  int64_t conv_samples = 0;
  ErrorSummary conv_fit;              // in-sample: what GetPlatformModel and the metrics report
  std::optional<OpLatencyModel> ops;  // none when the platform has no op measurements or they did not fit
  int64_t op_samples = 0;
  double op_fit_mape = 0;    // in-sample
  std::string op_fit_error;  // why there is no op model although op measurements exist
  // The same fits of the CPU agent's hot timings (samples.h, HotTimingsOf): what a layer takes
  // when the caches hold its data. Null / none when no measurement was timed hot, or the fit was
  // rejected: network predictions then keep every layer evicted.
  std::unique_ptr<const LatencyModel> hot_conv;
  std::optional<OpLatencyModel> hot_ops;
  int64_t hot_samples = 0;            // convolutions and ops timed hot
  std::vector<RejectedFit> rejected;  // fits not served, in the order they were checked
  int64_t noisy_left_out = 0;         // samples flagged noisy left out (enough clean ones)
  int64_t noisy_down_weighted = 0;    // samples flagged noisy kept at kNoisyWeight (too few clean)
  // 80 % intervals from held-out residuals of the same kind of model (interval_calibration.h).
  PredictionIntervals conv_intervals;
  PredictionIntervals op_intervals;
  // Every configuration measured (not noisy), answered with its own timing rather than the fits.
  MeasuredLayers measured;
};

// The weight of a noisy sample kept because too few clean ones exist (the robust loss may still
// drop it altogether).
inline constexpr double kNoisyWeight = 0.25;

// Both models of a platform from its stored measurements, robust to spikes, noisy measurements
// left out (or down-weighted where too few clean ones exist), every fit checked against its own
// data before it is served: an implausible two-mode model gives way to the roofline, an
// implausible op group to the op's next group, an implausible pooled op fit to the spec-roofline
// estimates (no op model). The error is the convolution fit's: a platform without a plausible
// convolution model has nothing to serve (FAILED_PRECONDITION with the reasons).
// `calibrate_with`, when given, is how the caller will build the convolution model it serves from
// these samples, given the fitter of the kind this fit chose (two-mode or roofline, fitted as it is,
// without choosing again per fold): e.g. that fitter blended with a transfer (BlendedFitter). Its
// held-out residuals calibrate conv_intervals instead of the own fit's, so that they are
// calibrated once, for what is served. The own fit's calibration stands in only when that one
// calibrates nothing.
using CalibrationFitter = std::function<ConvFitter(const ConvFitter& chosen_kind)>;
absl::StatusOr<ServingModel> FitServingModel(const std::vector<v1::Measurement>& measurements,
                                             const HardwareInfo& hardware = {},
                                             const CalibrationFitter& calibrate_with = {});

// Fits the kind of conv model named (`LatencyModel::kind()`: "two-mode", else the roofline) on
// what it is given: what a served model's intervals are calibrated on, without choosing again.
ConvFitter ConvFitterOfKind(const std::string& kind, const HardwareInfo& hardware);

}  // namespace convlat::model
