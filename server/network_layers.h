#pragma once
// The network of a PredictNetworkRequest as the layer list the latency model predicts: imported
// from ONNX, or built from the request's explicit layers, validated either way.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/latency.pb.h"
#include "model/layers/network.h"

namespace convlat::server {

// The request's layers with its batch applied (its layout is not: that is the answer's business).
// `path` is where `request` sits in what the client sent ("" or "networks[2]"); errors are
// INVALID_ARGUMENT (RESOURCE_EXHAUSTED for an oversized ONNX model) and name the field under it:
// "networks[2].onnx_model: node 'x' (Conv): ...", "layers.layers[1].op.c must be > 0".
absl::StatusOr<std::vector<model::NetworkLayer>> NetworkLayersOf(const v1::PredictNetworkRequest& request,
                                                                 absl::string_view path);

}  // namespace convlat::server
