#include "server/latency_service.h"

#include "absl/strings/str_cat.h"
#include "model/conv_shape.h"
#include "server/grpc_status.h"
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

grpc::Status LatencyServiceImpl::PredictNetwork(grpc::ServerContext*, const v1::PredictNetworkRequest* request,
                                                v1::PredictNetworkResponse* response) {
  RequestTimer timer(metrics_, "PredictNetwork");
  if (request->batch() < 0) return timer.Finish(grpc::Status(grpc::INVALID_ARGUMENT, "batch must be >= 0"));
  switch (request->network_case()) {
    case v1::PredictNetworkRequest::kOnnxModel:
      return timer.Finish(grpc::Status(
          grpc::UNIMPLEMENTED, "onnx_model: ONNX import is not supported yet; send an explicit layer list"));
    case v1::PredictNetworkRequest::kLayers:
      break;
    default:
      return timer.Finish(grpc::Status(grpc::INVALID_ARGUMENT, "network: set onnx_model or layers"));
  }
  google::protobuf::RepeatedPtrField<v1::ConvParams> convs;
  for (const v1::LayerList::Layer& layer : request->layers().layers()) {
    v1::ConvParams* conv = convs.Add();
    *conv = layer.conv();
    if (request->batch() > 0) conv->set_n(request->batch());
  }
  if (absl::Status s = ValidateLayers(convs, "layers.layers"); !s.ok()) return timer.Finish(ToGrpcStatus(s));
  absl::StatusOr<std::shared_ptr<const FittedModel>> fitted = ModelFor(request->platform());
  if (!fitted.ok()) return timer.Finish(ToGrpcStatus(fitted.status()));

  double total_us = 0;
  for (int i = 0; i < convs.size(); ++i) {
    v1::NetworkLayerPrediction* out = response->add_layers();
    const std::string& name = request->layers().layers(i).name();
    out->set_name(name.empty() ? absl::StrCat("conv", i) : name);
    out->set_op("Conv");
    out->set_shape(ShapeText(convs[i]));
    FillPrediction(*(*fitted)->model, convs[i], out->mutable_prediction());
    total_us += out->prediction().latency_us();
  }
  for (v1::NetworkLayerPrediction& layer : *response->mutable_layers()) {
    layer.set_share(total_us > 0 ? layer.prediction().latency_us() / total_us : 0);
  }
  response->set_total_us(total_us);
  response->set_model_version((*fitted)->info.version());
  metrics_.AddPredictions(request->platform(), convs.size());
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
