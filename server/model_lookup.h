#pragma once
// The state every prediction reads, and the one way to get a platform's fitted model from it.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/measurement_store.h"
#include "server/model_registry.h"
#include "server/server_metrics.h"

namespace convlat::server {

// What a query function needs from the server, like TensorFlow Serving's ServerCore: the fitted
// models, the store that explains why a platform has none, and the metrics that count the
// predictions served. Handlers hold one; tests build one over a store in a temporary directory.
struct QueryCore {
  const ModelRegistry& models;
  MeasurementStore& store;
  ServerMetrics& metrics;
};

// The platform's current model. `field` is the request field that holds `platform` ("platform",
// "networks[2].platform"), and every error names it: INVALID_ARGUMENT for a malformed name,
// NOT_FOUND for an unknown platform, UNAVAILABLE for a known one whose first fit is queued or
// running (retry), FAILED_PRECONDITION (with the reason) for one that has no model and none coming.
absl::StatusOr<std::shared_ptr<const FittedModel>> ModelFor(const QueryCore& core, const std::string& platform,
                                                            absl::string_view field);

}  // namespace convlat::server
