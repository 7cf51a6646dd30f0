#include "model/interval/network_interval.h"

namespace convlat::model {

NetworkInterval AttachIntervals(const std::vector<NetworkLayer>& layers, const PredictionIntervals& conv,
                                const PredictionIntervals& ops, NetworkLatency& network) {
  NetworkInterval total;
  bool all_calibrated = true;
  int counted = 0;
  for (size_t i = 0; i < network.layers.size() && i < layers.size(); ++i) {
    LayerLatency& layer = network.layers[i];
    switch (layer.source) {
      case LatencySource::kMeasuredModel: (layers[i].conv ? conv : ops).Apply(layer.prediction); break;
      case LatencySource::kSpecEstimate: ApplySpecEstimateInterval(layer.prediction); break;
      case LatencySource::kNotModelled: continue;  // not in the total either
    }
    total.p10_us += layer.prediction.p10_us;
    total.p90_us += layer.prediction.p90_us;
    all_calibrated = all_calibrated && layer.prediction.interval_calibrated;
    ++counted;
  }
  total.calibrated = counted > 0 && all_calibrated;
  return total;
}

}  // namespace convlat::model
