#pragma once
// Single layers: Predict without gRPC, each layer (a convolution, or with any_layers another op too)
// predicted on its own with the platform's models (whole networks, where layers share the total, are
// network_query.h).

#include "absl/status/status.h"
#include "convlat/v1/latency.pb.h"
#include "server/model_lookup.h"

namespace convlat::server {

// INVALID_ARGUMENT naming the field ("layers[1].r ...", "any_layers[0].op.c ...") for a bad layer, and
// ModelFor's errors.
absl::Status PredictLayers(const QueryCore& core, const v1::PredictRequest& request, v1::PredictResponse& response);

}  // namespace convlat::server
