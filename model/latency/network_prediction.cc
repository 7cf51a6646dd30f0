#include "model/latency/network_prediction.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "model/layers/conv_shape.h"
#include "model/residency/cache_residency.h"

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

// The hot model's prediction of the layer, when its kind has one (the op model's only where the
// evicted one came from the op model too).
std::optional<double> PredictHot(const HotModels& hot, const NetworkLayer& layer, LatencySource source) {
  if (layer.conv) {
    if (hot.conv == nullptr) return std::nullopt;
    return hot.conv->Predict(ResolveConvShape(*layer.conv)).latency_us;
  }
  if (hot.ops == nullptr || source != LatencySource::kMeasuredModel) return std::nullopt;
  return (layer.op_params ? hot.ops->Predict(*layer.op_params) : hot.ops->PredictWork(layer.bytes, layer.flops))
      .latency_us;
}

// Moves the layer's prediction from evicted toward hot by its hot share. The interval, calibrated
// on evicted timings, moves with it in proportion.
void ApplyCacheState(const LayerResidency& residency, double hot_us, Prediction& prediction) {
  const double evicted_us = prediction.latency_us;
  if (!(evicted_us > 0) || !(hot_us > 0)) return;
  const double blended_us = evicted_us + residency.hot_share * (hot_us - evicted_us);
  const double scale = blended_us / evicted_us;
  prediction.latency_us = blended_us;
  prediction.p10_us *= scale;
  prediction.p90_us *= scale;
  prediction.explanation.set_cache_state(absl::StrCat(residency.description, "; evicted ", absl::SixDigits(evicted_us),
                                                      " us, hot ", absl::SixDigits(hot_us), " us"));
}

}  // namespace

NetworkLatency PredictNetworkLatency(const LatencyModel& conv_model, const OpLatencyModel* op_model,
                                     const std::vector<NetworkLayer>& layers, const DeviceSpec& device,
                                     const HotModels& hot) {
  NetworkLatency network;
  network.layers.reserve(layers.size());
  const bool cache_aware = (hot.conv != nullptr || hot.ops != nullptr) && device.last_level_cache_bytes > 0;
  const NetworkResidency residency =
      cache_aware ? EstimateCacheResidency(layers, device.last_level_cache_bytes) : NetworkResidency{};
  for (size_t i = 0; i < layers.size(); ++i) {
    const NetworkLayer& layer = layers[i];
    LayerLatency latency;
    if (layer.conv) {
      latency.prediction = conv_model.Predict(ResolveConvShape(*layer.conv));
    } else {
      latency = PredictOtherOp(op_model, layer, device);
    }
    if (cache_aware) {
      if (std::optional<double> hot_us = PredictHot(hot, layer, latency.source)) {
        ApplyCacheState(residency.layers[i], *hot_us, latency.prediction);
      }
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
