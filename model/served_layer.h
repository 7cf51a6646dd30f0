#pragma once
// One convolution as the server answers it (Predict's `layers`): the platform's own measurement
// when it timed this very configuration, else its model, with the 80 % interval. The model runs
// either way: a measured answer keeps the model's figure and explanation beside it.
// Kept here, not in the gRPC handler, so that the benchmark of the served path
// (tests/bench/model_benchmark.cc, BM_PredictLayerServed) times what the server runs.

#include "convlat/v1/types.pb.h"
#include "model/interval/prediction_interval.h"
#include "model/latency/latency_model.h"
#include "model/measured/measured_layers.h"

namespace convlat::model {

// `layer` valid (ValidateConvParams).
Prediction PredictServedLayer(const LatencyModel& conv, const MeasuredLayers& measured,
                              const PredictionIntervals& intervals, const v1::ConvParams& layer);

}  // namespace convlat::model
