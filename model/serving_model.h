#pragma once
// What the server serves for a platform: the convolution model it picks (the two-mode model when,
// fitted on four fifths of the layers, it predicts the other fifth at least as well as the
// roofline; else the roofline) and the op model, both fitted from the platform's measurements.
// This is the one place that knows the concrete models; latency_model.h stays an interface.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convlat/v1/types.pb.h"
#include "model/fit/error_metrics.h"
#include "model/interval/prediction_interval.h"
#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"

namespace convlat::model {

// The convolution model to serve. FAILED_PRECONDITION when there are too few samples to fit either.
absl::StatusOr<std::unique_ptr<LatencyModel>> FitLatencyModel(const std::vector<Sample>& samples,
                                                              const HardwareInfo& hardware = {});

struct ServingModel {
  std::unique_ptr<const LatencyModel> conv;
  int64_t conv_samples = 0;
  ErrorSummary conv_fit;              // in-sample: what GetPlatformModel and the metrics report
  std::optional<OpLatencyModel> ops;  // none when the platform has no op measurements or they did not fit
  int64_t op_samples = 0;
  double op_fit_mape = 0;    // in-sample
  std::string op_fit_error;  // why there is no op model although op measurements exist
  // 80 % intervals from held-out residuals of the same kind of model (interval_calibration.h).
  PredictionIntervals conv_intervals;
  PredictionIntervals op_intervals;
};

// Both models of a platform from its stored measurements. The error is the convolution fit's: a
// platform without a convolution model has nothing to serve.
absl::StatusOr<ServingModel> FitServingModel(const std::vector<v1::Measurement>& measurements,
                                             const HardwareInfo& hardware = {});

}  // namespace convlat::model
