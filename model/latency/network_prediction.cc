#include "model/latency/network_prediction.h"

#include "model/layers/conv_shape.h"

namespace convlat::model {
namespace {

LayerLatency PredictOtherOp(const OpLatencyModel* op_model, const NetworkLayer& layer, const DeviceSpec& device) {
  LayerLatency latency;
  if (op_model != nullptr) {
    latency.prediction =
        layer.op_params ? op_model->Predict(*layer.op_params) : op_model->PredictWork(layer.bytes, layer.flops);
    return latency;
  }
  if (std::optional<Prediction> estimate = EstimateFromSpec(device, layer.bytes, layer.flops)) {
    latency.prediction = *std::move(estimate);
    latency.source = LatencySource::kSpecEstimate;
    return latency;
  }
  latency.source = LatencySource::kNotModelled;
  v1::Explanation& why = latency.prediction.explanation;
  why.set_model_kind("not-modelled");
  why.set_flops(layer.flops);
  why.set_bytes(layer.bytes);
  return latency;
}

}  // namespace

NetworkLatency PredictNetworkLatency(const LatencyModel& conv_model, const OpLatencyModel* op_model,
                                     const std::vector<NetworkLayer>& layers, const DeviceSpec& device) {
  NetworkLatency network;
  network.layers.reserve(layers.size());
  for (const NetworkLayer& layer : layers) {
    LayerLatency latency;
    if (layer.conv) {
      latency.prediction = conv_model.Predict(ResolveConvShape(*layer.conv));
    } else {
      latency = PredictOtherOp(op_model, layer, device);
    }
    switch (latency.source) {
      case LatencySource::kMeasuredModel: network.measured_model_us += latency.prediction.latency_us; break;
      case LatencySource::kSpecEstimate:
        network.spec_estimated_us += latency.prediction.latency_us;
        ++network.spec_estimated;
        break;
      case LatencySource::kNotModelled: ++network.unmodelled; break;
    }
    network.layers.push_back(std::move(latency));
  }
  network.total_us = network.measured_model_us + network.spec_estimated_us;
  return network;
}

}  // namespace convlat::model
