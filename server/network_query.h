#pragma once
// Whole networks: PredictNetwork and PredictNetworks without gRPC. The request's layers (see
// network_layers.h), each predicted with the platform's model, and their share of the total.

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/latency.pb.h"
#include "server/model_lookup.h"

namespace convlat::server {

// `path` is where `request` sits in what the client sent: "" for PredictNetwork, "networks[2]"
// inside PredictNetworks. Every error names its field under it ("networks[2].layers.layers[1].op.c
// must be > 0"), so no caller has to prefix messages.
absl::Status AnswerNetwork(const QueryCore& core, const v1::PredictNetworkRequest& request, absl::string_view path,
                           v1::PredictNetworkResponse& response);

// Each network answered on its own: a bad one gets its error code and message in its result and
// does not fail the others, so the call itself only fails for reasons of the whole call (none yet).
absl::Status AnswerNetworks(const QueryCore& core, const v1::PredictNetworksRequest& request,
                            v1::PredictNetworksResponse& response);

}  // namespace convlat::server
