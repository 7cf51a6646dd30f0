#include "server/layer_query.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "model/interval/network_interval.h"
#include "model/latency/network_prediction.h"
#include "model/served_layer.h"
#include "server/network_layers.h"
#include "server/request_validation.h"
#include "server/transfer_marking.h"

namespace convlat::server {
namespace {

void AddPrediction(model::Prediction prediction, bool transferred, v1::PredictResponse& response) {
  v1::LayerPrediction* out = response.add_predictions();
  out->set_latency_us(prediction.latency_us);
  out->set_p10_us(prediction.p10_us);
  out->set_p90_us(prediction.p90_us);
  out->set_interval_calibrated(prediction.interval_calibrated);
  *out->mutable_explanation() = std::move(prediction.explanation);
  if (transferred) MarkTransferred(*out);
}

}  // namespace

absl::Status PredictLayers(const QueryCore& core, const v1::PredictRequest& request, v1::PredictResponse& response) {
  const int count = request.layers_size() + request.any_layers_size();
  if (count == 0) return absl::InvalidArgumentError("layers must not be empty (or give any_layers)");
  if (count > kMaxLayersPerRequest) {
    return absl::InvalidArgumentError(
        absl::StrCat("layers and any_layers have ", count, " entries; at most ", kMaxLayersPerRequest, " per request"));
  }
  if (!request.layers().empty()) {
    if (absl::Status s = ValidateLayers(request.layers(), "layers"); !s.ok()) return s;
  }
  std::vector<model::NetworkLayer> any_layers;
  any_layers.reserve(request.any_layers_size());
  for (int i = 0; i < request.any_layers_size(); ++i) {
    absl::StatusOr<model::NetworkLayer> layer =
        ExplicitLayer(request.any_layers(i), /*batch=*/0, absl::StrCat("any_layers[", i, "]"));
    if (!layer.ok()) return layer.status();
    any_layers.push_back(*std::move(layer));
  }
  absl::StatusOr<std::shared_ptr<const FittedModel>> fitted = ModelFor(core, request.platform(), "platform");
  if (!fitted.ok()) return fitted.status();
  const FittedModel& model = **fitted;

  response.mutable_predictions()->Reserve(count);
  for (const v1::ConvParams& layer : request.layers()) {
    AddPrediction(model::PredictServedLayer(*model.model, model.measured, model.conv_intervals, layer),
                  model.transferred, response);
  }
  // Ops go where a network's would: the op model, else the device's peaks, else not-modelled (0 µs).
  model::NetworkLatency predicted =
      model::PredictNetworkLatency(*model.model, model.op_model ? &*model.op_model : nullptr, any_layers, model.device,
                                   /*hot=*/{}, &model.measured);
  model::AttachIntervals(any_layers, model.conv_intervals, model.op_intervals, predicted);
  for (model::LayerLatency& layer : predicted.layers) {
    AddPrediction(std::move(layer.prediction), model.transferred, response);
  }
  response.set_model_version(model.info.version());
  core.metrics.AddPredictions(request.platform(), count);
  if (model.transferred) core.metrics.AddTransferredPredictions(request.platform(), count);
  core.metrics.AddExtrapolatedPredictions(
      request.platform(),
      std::count_if(response.predictions().begin(), response.predictions().end(),
                    [](const v1::LayerPrediction& p) { return !p.explanation().extrapolation().empty(); }));
  return absl::OkStatus();
}

}  // namespace convlat::server
