#include "server/network_query.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_bridge.h"
#include "model/interval/network_interval.h"
#include "model/interval/training_domain.h"
#include "model/latency/network_prediction.h"
#include "model/layers/conv_spec.h"
#include "server/network_layers.h"
#include "server/request_validation.h"
#include "server/transfer_marking.h"

namespace convlat::server {
namespace {

// Takes the layers' explanations from `network` (moved, not copied: six strings a layer).
void FillAnswer(const std::vector<model::NetworkLayer>& layers, model::NetworkLatency& network,
                const model::NetworkInterval& interval, bool transferred, v1::PredictNetworkResponse& response) {
  for (size_t i = 0; i < layers.size(); ++i) {
    v1::NetworkLayerPrediction* out = response.add_layers();
    out->set_name(layers[i].name);
    out->set_op(layers[i].op);
    out->set_shape(layers[i].shape);
    out->mutable_prediction()->set_latency_us(network.layers[i].prediction.latency_us);
    *out->mutable_prediction()->mutable_explanation() = std::move(network.layers[i].prediction.explanation);
    out->mutable_prediction()->set_p10_us(network.layers[i].prediction.p10_us);
    out->mutable_prediction()->set_p90_us(network.layers[i].prediction.p90_us);
    out->mutable_prediction()->set_interval_calibrated(network.layers[i].prediction.interval_calibrated);
    if (transferred) MarkTransferred(*out->mutable_prediction());
    out->set_share(network.total_us > 0 ? network.layers[i].prediction.latency_us / network.total_us : 0);
  }
  response.set_total_us(network.total_us);
  response.set_unmodelled_layers(network.unmodelled);
  response.set_measured_model_us(network.measured_model_us);
  response.set_spec_estimated_us(network.spec_estimated_us);
  response.set_spec_estimated_layers(network.spec_estimated);
  response.set_total_is_lower_bound(network.unmodelled > 0);
  response.set_total_p10_us(interval.p10_us);
  response.set_total_p90_us(interval.p90_us);
  response.set_interval_calibrated(interval.calibrated);
  response.set_transferred(transferred);
}

// A layout the user asked for that the platform never measured: its fits know the kernels and costs
// of the layouts it did, and a library runs other kernels for another (cuDNN's NHWC tensor-core
// convolutions, oneDNN's blocked ones), so the answer is the measured layouts' in disguise.
std::string UnmeasuredLayoutNote(v1::Layout layout, const model::TrainingDomain& domain) {
  const std::string name = model::LayoutName(layout);
  return absl::StrCat("layout ", name, ": this platform measured its convolutions in ", domain.LayoutsMeasured(),
                      " only, so every layer is predicted from those measurements (a library may run other kernels ",
                      "for ", name, ", at other costs); an agent measures it with convlat-agent --layout ", name);
}

}  // namespace

absl::Status AnswerNetwork(const QueryCore& core, const v1::PredictNetworkRequest& request, absl::string_view path,
                           v1::PredictNetworkResponse& response) {
  if (request.batch() < 0) return absl::InvalidArgumentError(absl::StrCat(FieldPath(path, "batch"), " must be >= 0"));
  if (!v1::Layout_IsValid(request.layout())) {
    return absl::InvalidArgumentError(
        absl::StrCat(FieldPath(path, "layout"), " is not a known layout: ", request.layout()));
  }
  absl::StatusOr<model::ImportedNetwork> network = NetworkLayersOf(request, path);
  if (!network.ok()) return network.status();
  std::vector<model::NetworkLayer>* layers = &network->layers;
  if (request.layout() != v1::LAYOUT_UNSPECIFIED) {
    for (model::NetworkLayer& layer : *layers) {
      if (layer.conv) layer.conv->set_layout(request.layout());
      if (layer.op_params) layer.op_params->set_layout(request.layout());
    }
  }
  absl::StatusOr<std::shared_ptr<const FittedModel>> fitted =
      ModelFor(core, request.platform(), FieldPath(path, "platform"));
  if (!fitted.ok()) return fitted.status();

  const FittedModel& model = **fitted;
  const model::HotModels hot{.conv = model.hot_model.get(), .ops = model.hot_op_model ? &*model.hot_op_model : nullptr};
  model::NetworkLatency predicted = model::PredictNetworkLatency(
      *model.model, model.op_model ? &*model.op_model : nullptr, *layers, model.device, hot, &model.measured);
  const model::NetworkInterval interval =
      model::AttachIntervals(*layers, model.conv_intervals, model.op_intervals, predicted);
  FillAnswer(*layers, predicted, interval, model.transferred, response);
  for (std::string& note : network->notes) response.add_notes(std::move(note));
  if (model.transferred) response.add_notes(TransferNote(model));
  if (request.layout() != v1::LAYOUT_UNSPECIFIED && !model.own_domain.MeasuredLayout(request.layout())) {
    response.add_notes(UnmeasuredLayoutNote(request.layout(), model.own_domain));
  }
  response.set_model_version(model.info.version());
  core.metrics.AddPredictions(request.platform(), static_cast<int64_t>(layers->size()));
  if (model.transferred) {
    core.metrics.AddTransferredPredictions(request.platform(), static_cast<int64_t>(layers->size()));
  }
  core.metrics.AddExtrapolatedPredictions(
      request.platform(),
      std::count_if(response.layers().begin(), response.layers().end(), [](const v1::NetworkLayerPrediction& layer) {
        return !layer.prediction().explanation().extrapolation().empty();
      }));
  return absl::OkStatus();
}

absl::Status AnswerNetworks(const QueryCore& core, const v1::PredictNetworksRequest& request,
                            v1::PredictNetworksResponse& response) {
  response.mutable_results()->Reserve(request.networks_size());
  for (int i = 0; i < request.networks_size(); ++i) {
    v1::PredictNetworkResult* result = response.add_results();
    const absl::Status status =
        AnswerNetwork(core, request.networks(i), absl::StrCat("networks[", i, "]"), *result->mutable_response());
    if (!status.ok()) {
      result->clear_response();
      result->set_error_code(static_cast<int32_t>(status.code()));
      result->set_error_message(CappedStatusMessage(status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace convlat::server
