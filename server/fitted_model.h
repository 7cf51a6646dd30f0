#pragma once
// One platform's served model: the immutable snapshot ModelRegistry publishes and queries read.

#include <memory>
#include <optional>

#include "convlat/v1/latency.pb.h"
#include "model/interval/prediction_interval.h"
#include "model/interval/training_domain.h"
#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"
#include "model/latency/spec_roofline.h"
#include "model/measured/measured_layers.h"

namespace convlat::server {

struct FittedModel {
  std::unique_ptr<const model::LatencyModel> model;
  std::optional<model::OpLatencyModel> op_model;  // none when the platform has no op measurements
  // Fitted to the hot timings (CPU agents): null / none without them; network predictions then
  // keep every layer evicted.
  std::unique_ptr<const model::LatencyModel> hot_model;
  std::optional<model::OpLatencyModel> hot_op_model;
  v1::PlatformModel info;                     // what GetPlatformModel returns
  v1::Platform platform;                      // the device as registered when the model was fitted,
                                              // completed from its data sheet (gpu_specs.h)
  model::DeviceSpec device;                   // its peaks, for the ops no measurement covers
  model::PredictionIntervals conv_intervals;  // 80 % intervals, calibrated on held-out layers
  model::PredictionIntervals op_intervals;
  model::MeasuredLayers measured;  // the platform's own configurations, answered as measured
  // The kinds and sizes of convolution the platform measured itself (empty: none), which tell
  // whether another GPU measured kinds it did not (new_kind_routing.h).
  model::TrainingDomain own_domain;
  // Served the transfer model (transfer_sources.h): the platform has too few measurements of its
  // own. Every prediction from it is marked transferred; its ops come from the spec roofline.
  bool transferred = false;
};

}  // namespace convlat::server
