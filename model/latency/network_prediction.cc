#include "model/latency/network_prediction.h"

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "model/layers/conv_shape.h"
#include "model/residency/cache_residency.h"
#include "model/residency/hot_gain_calibration.h"

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
// evicted one came from the op model too); the layer's own hot timing where it was measured.
std::optional<double> PredictHot(const HotModels& hot, const NetworkLayer& layer, LatencySource source,
                                 const MeasuredLatency* measured) {
  if (measured != nullptr && measured->hot_median_us > 0) return measured->hot_median_us;
  if (layer.conv) {
    if (hot.conv == nullptr) return std::nullopt;
    return hot.conv->Predict(ResolveConvShape(*layer.conv)).latency_us;
  }
  if (hot.ops == nullptr || source != LatencySource::kMeasuredModel) return std::nullopt;
  return (layer.op_params ? hot.ops->Predict(*layer.op_params) : hot.ops->PredictWork(layer.bytes, layer.flops))
      .latency_us;
}

// Moves the layer's prediction from evicted toward hot by its hot share, times the share of its hot
// gain the platform's layers keep in networks (`kept`, its calibration). The interval, calibrated
// on evicted timings, moves with it in proportion.
void ApplyCacheState(const LayerResidency& residency, double hot_us, double kept, Prediction& prediction) {
  const double evicted_us = prediction.latency_us;
  if (!(evicted_us > 0) || !(hot_us > 0)) return;
  const double blended_us = InNetworkUs(evicted_us, hot_us, residency.hot_share, kept);
  const double scale = blended_us / evicted_us;
  prediction.latency_us = blended_us;
  prediction.p10_us *= scale;
  prediction.p90_us *= scale;
  std::string state = absl::StrCat(residency.description, "; evicted ", absl::SixDigits(evicted_us), " us, hot ",
                                   absl::SixDigits(hot_us), " us");
  if (kept != 1) absl::StrAppend(&state, "; keeps ", absl::SixDigits(kept), " of the hot gain (platform calibration)");
  prediction.explanation.set_cache_state(state);
}

v1::Layout LayoutOf(const NetworkLayer& layer) {
  if (layer.conv) return layer.conv->layout();
  if (layer.op_params) return layer.op_params->layout();
  return v1::LAYOUT_UNSPECIFIED;
}

const MeasuredLatency* MeasurementOf(const MeasuredLayers* measured, const NetworkLayer& layer) {
  if (measured == nullptr) return nullptr;
  if (layer.conv) return measured->FindConv(*layer.conv);
  if (layer.op_params) return measured->FindOp(*layer.op_params);
  return nullptr;
}

}  // namespace

void AnswerFromMeasurement(const MeasuredLatency& measured, Prediction& prediction) {
  prediction.explanation.set_measured(true);
  prediction.explanation.set_model_us(prediction.latency_us);
  prediction.latency_us = measured.median_us;
  if (measured.p10_us > 0 && measured.p90_us > 0) {
    prediction.p10_us = std::min(measured.p10_us, measured.median_us);
    prediction.p90_us = std::max(measured.p90_us, measured.median_us);
    prediction.interval_calibrated = true;
  } else {  // recorded without the runs' spread (public data): the model's calibrated one applies
    prediction.p10_us = prediction.p90_us = 0;
    prediction.interval_calibrated = false;
  }
}

NetworkLatency PredictNetworkLatency(const LatencyModel& conv_model, const OpLatencyModel* op_model,
                                     const std::vector<NetworkLayer>& layers, const DeviceSpec& device,
                                     const HotModels& hot, const MeasuredLayers* measured) {
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
    const MeasuredLatency* measurement = MeasurementOf(measured, layer);
    if (measurement != nullptr) {
      AnswerFromMeasurement(*measurement, latency.prediction);
      latency.source = LatencySource::kMeasuredModel;
    }
    if (cache_aware) {
      if (std::optional<double> hot_us = PredictHot(hot, layer, latency.source, measurement)) {
        ApplyCacheState(residency.layers[i], *hot_us, device.HotGainKept(LayoutOf(layer)), latency.prediction);
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
