#include "model/network_prediction.h"

#include "model/conv_shape.h"

namespace convlat::model {

NetworkLatency PredictNetworkLatency(const LatencyModel& conv_model, const std::vector<NetworkLayer>& layers,
                                     double memory_bandwidth_gbps) {
  NetworkLatency network;
  network.layers.reserve(layers.size());
  for (const NetworkLayer& layer : layers) {
    LayerLatency latency;
    if (layer.conv) {
      latency.prediction = conv_model.Predict(ResolveConvShape(*layer.conv));
    } else {
      v1::Explanation& why = latency.prediction.explanation;
      why.set_flops(layer.flops);
      why.set_bytes(layer.bytes);
      if (memory_bandwidth_gbps > 0) {
        latency.prediction.latency_us = layer.bytes / (memory_bandwidth_gbps * 1e3);  // GB/s = 1e3 bytes per µs
        why.set_model_kind("peak-bandwidth-estimate");
        why.set_memory_share(1);
      } else {
        latency.modelled = false;
        why.set_model_kind("not-modelled");
        ++network.unmodelled;
      }
    }
    network.total_us += latency.prediction.latency_us;
    network.layers.push_back(std::move(latency));
  }
  return network;
}

}  // namespace convlat::model
