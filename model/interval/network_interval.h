#pragma once
// Intervals on a whole network's prediction: each layer gets its own, and the network's interval
// is the sum of the layers' p10s and the sum of their p90s. Errors within one network are
// correlated (the same kernels, the same device, the same model bias), so the layers' errors do
// not cancel as independent ones would; the sum of the bounds (the comonotone case) is the honest
// interval, and no narrower one is claimed.

#include <vector>

#include "model/interval/prediction_interval.h"
#include "model/latency/network_prediction.h"
#include "model/layers/network.h"

namespace convlat::model {

struct NetworkInterval {
  double p10_us = 0;
  double p90_us = 0;
  // Every layer in the total has a calibrated interval (none rests on a spec-roofline assumption).
  bool calibrated = false;
};

// Sets the interval of every layer of `network` (predicted from `layers`): convolutions from
// `conv`, ops of the op model from `ops`, spec-roofline estimates the assumed one, not-modelled
// layers none. Returns the total's interval, over the layers in the total.
NetworkInterval AttachIntervals(const std::vector<NetworkLayer>& layers, const PredictionIntervals& conv,
                                const PredictionIntervals& ops, NetworkLatency& network);

}  // namespace convlat::model
