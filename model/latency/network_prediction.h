#pragma once
// A whole network's latency: each layer predicted, in order, with where its figure comes from, and
// how much of the total rests on measurements of this platform.

#include <vector>

#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"
#include "model/latency/spec_roofline.h"
#include "model/layers/network.h"
#include "model/measured/measured_layers.h"

namespace convlat::model {

enum class LatencySource {
  kMeasuredModel,  // this platform's measurements: a model fitted to them, or the measurement itself
  kSpecEstimate,   // spec-roofline: the device's peaks, no measurement of such a layer
  kNotModelled,    // nothing known: 0 µs, left out of the total
};

struct LayerLatency {
  Prediction prediction;
  LatencySource source = LatencySource::kMeasuredModel;
};

struct NetworkLatency {
  std::vector<LayerLatency> layers;  // one per NetworkLayer, same order
  double total_us = 0;               // measured_model_us + spec_estimated_us
  double measured_model_us = 0;
  double spec_estimated_us = 0;
  int spec_estimated = 0;  // layers
  int unmodelled = 0;      // layers left out: the total is then a lower bound
};

// A platform's models fitted to its hot timings (the CPU agent times each configuration evicted
// and hot): either may be null, when no hot measurement of its kind exists.
struct HotModels {
  const LatencyModel* conv = nullptr;
  const OpLatencyModel* ops = nullptr;
};

// Convolutions and matrix products go through the platform's conv model, the other ops (pooling,
// elementwise, concatenation, ...) through its op model. A platform whose agents timed no ops
// (`op_model` null) gets them from its device's peaks (EstimateFromSpec) where those are known,
// and they are left out, as not-modelled, where not.
// With hot models and a known last-level cache (`device`), each measured-model layer lies between
// its evicted prediction (the models above) and its hot one, at the share of its bytes the walk of
// the network expects still cached (model/residency/cache_residency.h); the explanation's
// cache_state says which. A layer whose kind has no hot model stays evicted.
// A layer whose very configuration the platform measured (`measured`, may be null) is answered
// with that measurement (evicted and, where timed, hot) instead of the models': AnswerFromMeasurement.
NetworkLatency PredictNetworkLatency(const LatencyModel& conv_model, const OpLatencyModel* op_model,
                                     const std::vector<NetworkLayer>& layers, const DeviceSpec& device,
                                     const HotModels& hot = {}, const MeasuredLayers* measured = nullptr);

// Puts the measurement in place of a model's prediction of the same configuration, keeping the
// model's explanation (kernel, tile, shares) and its figure as explanation.model_us; the interval
// becomes the spread of the timed runs where they were recorded, else is left to the calibrated
// intervals (PredictionIntervals::Apply).
void AnswerFromMeasurement(const MeasuredLatency& measured, Prediction& prediction);

}  // namespace convlat::model
