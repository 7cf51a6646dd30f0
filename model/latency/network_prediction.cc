#include "model/latency/network_prediction.h"

#include "model/layers/conv_shape.h"

namespace convlat::model {
namespace {

LayerLatency PredictOtherOp(const OpLatencyModel* op_model, const NetworkLayer& layer, double memory_bandwidth_gbps) {
  LayerLatency latency;
  if (op_model != nullptr) {
    latency.prediction =
        layer.op_params ? op_model->Predict(*layer.op_params) : op_model->PredictWork(layer.bytes, layer.flops);
    return latency;
  }
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
  }
  return latency;
}

}  // namespace

NetworkLatency PredictNetworkLatency(const LatencyModel& conv_model, const OpLatencyModel* op_model,
                                     const std::vector<NetworkLayer>& layers, double memory_bandwidth_gbps) {
  NetworkLatency network;
  network.layers.reserve(layers.size());
  for (const NetworkLayer& layer : layers) {
    LayerLatency latency;
    if (layer.conv) {
      latency.prediction = conv_model.Predict(ResolveConvShape(*layer.conv));
    } else {
      latency = PredictOtherOp(op_model, layer, memory_bandwidth_gbps);
      if (!latency.modelled) ++network.unmodelled;
    }
    network.total_us += latency.prediction.latency_us;
    network.layers.push_back(std::move(latency));
  }
  return network;
}

}  // namespace convlat::model
