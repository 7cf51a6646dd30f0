#include "server/latency_service.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "model/latency/network_prediction.h"
#include "model/onnx/onnx_import.h"
#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"
#include "common/status_bridge.h"
#include "server/request_validation.h"

namespace convlat::server {
namespace {

void FillPrediction(const model::LatencyModel& fitted, const v1::ConvParams& params,
                    v1::LayerPrediction* out) {
  model::Prediction prediction = fitted.Predict(model::ResolveConvShape(params));
  out->set_latency_us(prediction.latency_us);
  *out->mutable_explanation() = std::move(prediction.explanation);
}

std::string ShapeText(const v1::ConvParams& params) {
  const model::ConvShape s = model::ResolveConvShape(params);
  std::string text = absl::StrCat(s.n, "x", s.c, "x", s.h, "x", s.w, " -> ", s.n, "x", s.k, "x", s.p(), "x",
                                  s.q(), " ", s.r, "x", s.s, "/", s.stride_h);
  if (s.groups > 1) absl::StrAppend(&text, " g", s.groups);
  return text;
}

std::string ShapeText(const v1::OpParams& op) { return absl::StrCat(op.n(), "x", op.c(), "x", op.h(), "x", op.w()); }

// An explicit layer list: each layer a convolution or another op, validated with errors naming
// the field; `batch` > 0 replaces every layer's n.
absl::StatusOr<std::vector<model::NetworkLayer>> ExplicitLayers(const v1::LayerList& list, int batch) {
  if (list.layers().empty()) return absl::InvalidArgumentError("layers.layers must not be empty");
  if (list.layers_size() > kMaxLayersPerRequest) {
    return absl::InvalidArgumentError(absl::StrCat("layers.layers has ", list.layers_size(), " entries; at most ",
                                                   kMaxLayersPerRequest, " per request"));
  }
  std::vector<model::NetworkLayer> layers;
  for (int i = 0; i < list.layers_size(); ++i) {
    const v1::LayerList::Layer& layer = list.layers(i);
    const std::string path = absl::StrCat("layers.layers[", i, "]");
    if (layer.has_conv() == layer.has_op()) return absl::InvalidArgumentError(path + " must set exactly one of conv and op");
    model::NetworkLayer out{.name = layer.name()};
    if (layer.has_conv()) {
      v1::ConvParams conv = layer.conv();
      if (batch > 0) conv.set_n(batch);
      if (absl::Status s = model::ValidateConvParams(conv, path + ".conv"); !s.ok()) return s;
      out.op = "Conv";
      out.shape = ShapeText(conv);
      out.conv = conv;
    } else {
      v1::OpParams op = layer.op();
      if (batch > 0) op.set_n(batch);
      if (absl::Status s = model::ValidateOpParams(op, path + ".op"); !s.ok()) return s;
      model::NormalizeOpParams(op);
      const model::OpWork work = model::WorkOf(op);
      out.op = op.function().empty() ? model::OpKindName(op.kind()) : absl::StrCat(model::OpKindName(op.kind()), ":", op.function());
      out.shape = ShapeText(op);
      out.bytes = work.bytes;
      out.flops = work.flops;
      out.op_params = op;
    }
    if (out.name.empty()) out.name = absl::StrCat(out.op == "Conv" ? "conv" : out.op, i);
    layers.push_back(std::move(out));
  }
  return layers;
}

// The request's network as layers: imported from ONNX (errors name the node), or the explicit
// conv layer list (errors name the field).
absl::StatusOr<std::vector<model::NetworkLayer>> NetworkLayersOf(const v1::PredictNetworkRequest& request) {
  switch (request.network_case()) {
    case v1::PredictNetworkRequest::kOnnxModel: {
      model::OnnxImportOptions options{.batch = request.batch()};
      for (const auto& [name, shape] : request.input_shapes()) {
        std::vector<int64_t> dims(shape.dims().begin(), shape.dims().end());
        if (dims.empty() || std::any_of(dims.begin(), dims.end(), [](int64_t d) { return d <= 0; })) {
          return absl::InvalidArgumentError(absl::StrCat("input_shapes[", name, "]: dims must be positive"));
        }
        options.input_shapes[name] = std::move(dims);
      }
      absl::StatusOr<std::vector<model::NetworkLayer>> layers = model::ImportOnnx(request.onnx_model(), options);
      if (!layers.ok() && !absl::StartsWith(layers.status().message(), "onnx_model")) {
        return absl::Status(layers.status().code(), absl::StrCat("onnx_model: ", layers.status().message()));
      }
      return layers;
    }
    case v1::PredictNetworkRequest::kLayers: return ExplicitLayers(request.layers(), request.batch());
    default:
      return absl::InvalidArgumentError("network: set onnx_model or layers");
  }
}

}  // namespace

absl::StatusOr<std::shared_ptr<const FittedModel>> LatencyServiceImpl::ModelFor(const std::string& platform) {
  if (absl::Status s = ValidatePlatformName(platform, "platform"); !s.ok()) return s;
  if (std::shared_ptr<const FittedModel> fitted = models_.Get(platform)) return fitted;
  // Only the error path touches the store: the hot path is a map lookup.
  absl::StatusOr<v1::Platform> known = store_.GetPlatform(platform);
  if (!known.ok()) return known.status();
  absl::StatusOr<int64_t> samples = store_.CountSuccessfulMeasurements(platform);
  const std::string reason = models_.LastFitError(platform);
  return absl::FailedPreconditionError(absl::StrCat(
      "platform '", platform, "' has no model yet (", samples.ok() ? *samples : 0,
      " successful measurements stored", reason.empty() ? "" : "; " + reason,
      "); profile it with convlat-agent first"));
}

grpc::Status LatencyServiceImpl::Predict(grpc::ServerContext*, const v1::PredictRequest* request,
                                         v1::PredictResponse* response) {
  RequestTimer timer(metrics_, "Predict");
  if (absl::Status s = ValidateLayers(request->layers(), "layers"); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  absl::StatusOr<std::shared_ptr<const FittedModel>> fitted = ModelFor(request->platform());
  if (!fitted.ok()) return timer.Finish(ToGrpcStatus(fitted.status()));
  response->mutable_predictions()->Reserve(request->layers_size());
  for (const v1::ConvParams& layer : request->layers()) {
    FillPrediction(*(*fitted)->model, layer, response->add_predictions());
  }
  response->set_model_version((*fitted)->info.version());
  metrics_.AddPredictions(request->platform(), request->layers_size());
  return timer.Finish(grpc::Status::OK);
}

absl::Status LatencyServiceImpl::AnswerNetwork(const v1::PredictNetworkRequest& request,
                                               v1::PredictNetworkResponse& response) {
  if (request.batch() < 0) return absl::InvalidArgumentError("batch must be >= 0");
  if (!v1::Layout_IsValid(request.layout())) {
    return absl::InvalidArgumentError(absl::StrCat("layout is not a known layout: ", request.layout()));
  }
  absl::StatusOr<std::vector<model::NetworkLayer>> layers = NetworkLayersOf(request);
  if (!layers.ok()) return layers.status();
  if (request.layout() != v1::LAYOUT_UNSPECIFIED) {
    for (model::NetworkLayer& layer : *layers) {
      if (layer.conv) layer.conv->set_layout(request.layout());
      if (layer.op_params) layer.op_params->set_layout(request.layout());
    }
  }
  absl::StatusOr<std::shared_ptr<const FittedModel>> fitted = ModelFor(request.platform());
  if (!fitted.ok()) return fitted.status();

  const model::NetworkLatency network =
      model::PredictNetworkLatency(*(*fitted)->model, (*fitted)->op_model ? &*(*fitted)->op_model : nullptr, *layers,
                                   (*fitted)->platform.memory_bandwidth_gbps());
  for (size_t i = 0; i < layers->size(); ++i) {
    v1::NetworkLayerPrediction* out = response.add_layers();
    out->set_name((*layers)[i].name);
    out->set_op((*layers)[i].op);
    out->set_shape((*layers)[i].shape);
    out->mutable_prediction()->set_latency_us(network.layers[i].prediction.latency_us);
    *out->mutable_prediction()->mutable_explanation() = network.layers[i].prediction.explanation;
    out->set_share(network.total_us > 0 ? network.layers[i].prediction.latency_us / network.total_us : 0);
  }
  response.set_total_us(network.total_us);
  response.set_unmodelled_layers(network.unmodelled);
  response.set_model_version((*fitted)->info.version());
  metrics_.AddPredictions(request.platform(), static_cast<int64_t>(layers->size()));
  return absl::OkStatus();
}

grpc::Status LatencyServiceImpl::PredictNetwork(grpc::ServerContext*, const v1::PredictNetworkRequest* request,
                                                v1::PredictNetworkResponse* response) {
  RequestTimer timer(metrics_, "PredictNetwork");
  return timer.Finish(ToGrpcStatus(AnswerNetwork(*request, *response)));
}

grpc::Status LatencyServiceImpl::PredictNetworks(grpc::ServerContext*, const v1::PredictNetworksRequest* request,
                                                 v1::PredictNetworksResponse* response) {
  RequestTimer timer(metrics_, "PredictNetworks");
  response->mutable_results()->Reserve(request->networks_size());
  for (int i = 0; i < request->networks_size(); ++i) {
    v1::PredictNetworkResult* result = response->add_results();
    const absl::Status status = AnswerNetwork(request->networks(i), *result->mutable_response());
    if (!status.ok()) {
      result->clear_response();
      result->set_error_code(static_cast<int32_t>(status.code()));
      result->set_error_message(absl::StrCat("networks[", i, "].", status.message()));
    }
  }
  return timer.Finish(grpc::Status::OK);
}

grpc::Status LatencyServiceImpl::ListPlatforms(grpc::ServerContext*, const v1::ListPlatformsRequest*,
                                               v1::ListPlatformsResponse* response) {
  RequestTimer timer(metrics_, "ListPlatforms");
  absl::StatusOr<std::vector<v1::Platform>> platforms = store_.ListPlatforms();
  if (!platforms.ok()) return timer.Finish(ToGrpcStatus(platforms.status()));
  for (v1::Platform& platform : *platforms) {
    v1::PlatformSummary* summary = response->add_platforms();
    absl::StatusOr<int64_t> samples = store_.CountSuccessfulMeasurements(platform.name());
    if (!samples.ok()) return timer.Finish(ToGrpcStatus(samples.status()));
    summary->set_sample_count(*samples);
    summary->set_model_ready(models_.Get(platform.name()) != nullptr);
    *summary->mutable_platform() = std::move(platform);
  }
  return timer.Finish(grpc::Status::OK);
}

grpc::Status LatencyServiceImpl::GetPlatformModel(grpc::ServerContext*, const v1::GetPlatformModelRequest* request,
                                                  v1::PlatformModel* response) {
  RequestTimer timer(metrics_, "GetPlatformModel");
  absl::StatusOr<std::shared_ptr<const FittedModel>> fitted = ModelFor(request->platform());
  if (!fitted.ok()) return timer.Finish(ToGrpcStatus(fitted.status()));
  *response = (*fitted)->info;
  return timer.Finish(grpc::Status::OK);
}

}  // namespace convlat::server
