#include "server/layer_query.h"

#include "model/layers/conv_shape.h"
#include "server/request_validation.h"

namespace convlat::server {

absl::Status PredictLayers(const QueryCore& core, const v1::PredictRequest& request, v1::PredictResponse& response) {
  if (absl::Status s = ValidateLayers(request.layers(), "layers"); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<const FittedModel>> fitted = ModelFor(core, request.platform(), "platform");
  if (!fitted.ok()) return fitted.status();
  response.mutable_predictions()->Reserve(request.layers_size());
  for (const v1::ConvParams& layer : request.layers()) {
    model::Prediction prediction = (*fitted)->model->Predict(model::ResolveConvShape(layer));
    v1::LayerPrediction* out = response.add_predictions();
    out->set_latency_us(prediction.latency_us);
    *out->mutable_explanation() = std::move(prediction.explanation);
  }
  response.set_model_version((*fitted)->info.version());
  core.metrics.AddPredictions(request.platform(), request.layers_size());
  return absl::OkStatus();
}

}  // namespace convlat::server
