#include "server/network_layers.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"
#include "model/onnx/onnx_import.h"
#include "server/request_validation.h"

namespace convlat::server {
namespace {

std::string ShapeText(const v1::ConvParams& params) {
  const model::ConvShape s = model::ResolveConvShape(params);
  std::string text = absl::StrCat(s.n, "x", s.c, "x", s.h, "x", s.w, " -> ", s.n, "x", s.k, "x", s.p(), "x", s.q(), " ",
                                  s.r, "x", s.s, "/", s.stride_h);
  if (s.groups > 1) absl::StrAppend(&text, " g", s.groups);
  return text;
}

std::string ShapeText(const v1::OpParams& op) { return absl::StrCat(op.n(), "x", op.c(), "x", op.h(), "x", op.w()); }

}  // namespace

absl::StatusOr<model::NetworkLayer> ExplicitLayer(const v1::LayerList::Layer& layer, int batch,
                                                  const std::string& path) {
  if (layer.has_conv() == layer.has_op()) {
    return absl::InvalidArgumentError(path + " must set exactly one of conv and op");
  }
  model::NetworkLayer out{.name = layer.name()};
  if (layer.has_conv()) {
    v1::ConvParams conv = layer.conv();
    if (batch > 0) conv.set_n(batch);
    if (absl::Status s = model::ValidateConvParams(conv, path + ".conv"); !s.ok()) return s;
    out.op = "Conv";
    out.shape = ShapeText(conv);
    out.conv = conv;
    return out;
  }
  v1::OpParams op = layer.op();
  if (batch > 0) op.set_n(batch);
  if (absl::Status s = model::ValidateOpParams(op, path + ".op"); !s.ok()) return s;
  model::NormalizeOpParams(op);
  const model::OpWork work = model::WorkOf(op);
  out.op = model::OpKindName(op.kind());
  if (!op.function().empty()) absl::StrAppend(&out.op, ":", op.function());
  out.shape = ShapeText(op);
  out.bytes = work.bytes;
  out.flops = work.flops;
  out.op_params = op;
  return out;
}

namespace {

// An explicit layer list; `batch` > 0 replaces every layer's n. `field` names the list
// ("layers.layers"); unnamed layers are named after their op and index ("conv0", "max_pool1").
absl::StatusOr<std::vector<model::NetworkLayer>> ExplicitLayers(const v1::LayerList& list, int batch,
                                                                const std::string& field) {
  if (list.layers().empty()) return absl::InvalidArgumentError(field + " must not be empty");
  if (list.layers_size() > kMaxLayersPerRequest) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " has ", list.layers_size(), " entries; at most ", kMaxLayersPerRequest, " per request"));
  }
  std::vector<model::NetworkLayer> layers;
  for (int i = 0; i < list.layers_size(); ++i) {
    absl::StatusOr<model::NetworkLayer> layer = ExplicitLayer(list.layers(i), batch, absl::StrCat(field, "[", i, "]"));
    if (!layer.ok()) return layer.status();
    if (layer->name.empty()) layer->name = absl::StrCat(layer->op == "Conv" ? "conv" : layer->op, i);
    layers.push_back(*std::move(layer));
  }
  return layers;
}

// The ONNX model's layers. The importer knows no request: it names the node, and names
// "onnx_model" itself only for errors about the whole file, so that prefix is replaced by the
// field's full path here, once.
absl::string_view ImporterReason(const absl::Status& status) {
  absl::string_view why = status.message();
  absl::ConsumePrefix(&why, "onnx_model: ");
  return why;
}

absl::Status OnnxError(const absl::Status& status, absl::string_view path) {
  return absl::Status(status.code(), absl::StrCat(FieldPath(path, "onnx_model"), ": ", ImporterReason(status)));
}

absl::StatusOr<model::ImportedNetwork> OnnxLayers(const v1::PredictNetworkRequest& request, absl::string_view path) {
  // A batch re-batches every graph input, a static export's too: what the user asks is what is answered.
  model::OnnxImportOptions options{
      .batch = request.batch(), .force_batch = request.batch() > 0, .max_model_bytes = kMaxOnnxModelBytes};
  for (const auto& [name, shape] : request.input_shapes()) {
    std::vector<int64_t> dims(shape.dims().begin(), shape.dims().end());
    if (dims.empty() || std::any_of(dims.begin(), dims.end(), [](int64_t d) { return d <= 0; })) {
      return absl::InvalidArgumentError(
          absl::StrCat(FieldPath(path, "input_shapes"), "[", name, "]: dims must be positive"));
    }
    options.input_shapes[name] = std::move(dims);
  }
  absl::StatusOr<model::ImportedNetwork> network = model::ImportOnnxNetwork(request.onnx_model(), options);
  if (network.ok()) return network;
  absl::string_view about_batch = network.status().message();
  if (absl::ConsumePrefix(&about_batch, "batch: ")) {
    return absl::Status(network.status().code(), absl::StrCat(FieldPath(path, "batch"), ": ", about_batch));
  }
  return OnnxError(network.status(), path);
}

}  // namespace

absl::StatusOr<model::ImportedNetwork> NetworkLayersOf(const v1::PredictNetworkRequest& request,
                                                       absl::string_view path) {
  switch (request.network_case()) {
    case v1::PredictNetworkRequest::kOnnxModel: return OnnxLayers(request, path);
    case v1::PredictNetworkRequest::kLayers: {
      absl::StatusOr<std::vector<model::NetworkLayer>> layers =
          ExplicitLayers(request.layers(), request.batch(), FieldPath(path, "layers.layers"));
      if (!layers.ok()) return layers.status();
      return model::ImportedNetwork{.layers = *std::move(layers)};
    }
    default: return absl::InvalidArgumentError(absl::StrCat(FieldPath(path, "network"), ": set onnx_model or layers"));
  }
}

}  // namespace convlat::server
