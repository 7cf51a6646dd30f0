#pragma once
// The network of a PredictNetworkRequest as the layer list the latency model predicts: imported
// from ONNX, or built from the request's explicit layers, validated either way.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/latency.pb.h"
#include "model/layers/network.h"
#include "model/onnx/onnx_import.h"

namespace convlat::server {

// The request's layers with its batch applied (its layout is not: that is the answer's business),
// and what the import assumed (a dynamic batch taken as 1). `batch` re-batches a static ONNX export
// too, or says why it cannot. `path` is where `request` sits in what the client sent ("" or
// "networks[2]"); errors are INVALID_ARGUMENT (RESOURCE_EXHAUSTED for an oversized ONNX model) and
// name the field under it: "networks[2].onnx_model: node 'x' (Conv): ...", "layers.layers[1].op.c
// must be > 0", "batch: 100000 is too large for this network: ...".
absl::StatusOr<model::ImportedNetwork> NetworkLayersOf(const v1::PredictNetworkRequest& request,
                                                       absl::string_view path);

// One explicit layer, a convolution or another op, validated; `batch` > 0 replaces its n. `path`
// names it in errors ("layers.layers[3]", "any_layers[0]").
absl::StatusOr<model::NetworkLayer> ExplicitLayer(const v1::LayerList::Layer& layer, int batch,
                                                  const std::string& path);

}  // namespace convlat::server
