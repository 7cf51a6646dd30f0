#pragma once
// A whole network's latency: each layer predicted, in order, with its share of the total.

#include <vector>

#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"
#include "model/layers/network.h"

namespace convlat::model {

struct LayerLatency {
  Prediction prediction;
  bool modelled = true;
};

struct NetworkLatency {
  std::vector<LayerLatency> layers;  // one per NetworkLayer, same order
  double total_us = 0;               // of the modelled layers
  int unmodelled = 0;
};

// Convolutions and matrix products go through the platform's conv model, the other ops (pooling,
// elementwise, concatenation, ...) through its op model. A platform whose agents timed no ops
// (`op_model` null) gets them estimated as memory-bound transfers, bytes / `memory_bandwidth_gbps`,
// where it declares its peak bandwidth (an optimistic floor: no launch cost, peak bandwidth), and
// left unmodelled otherwise.
NetworkLatency PredictNetworkLatency(const LatencyModel& conv_model, const OpLatencyModel* op_model,
                                     const std::vector<NetworkLayer>& layers, double memory_bandwidth_gbps);

}  // namespace convlat::model
