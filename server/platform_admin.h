#pragma once
// AdminService without gRPC: retire a platform's measurements before a time, remove a platform,
// purge what is retired. Each change refits the platform in the background (a platform left
// without current measurements loses its model). The handler checks the agent token first.

#include "absl/status/status.h"
#include "convlat/v1/admin.pb.h"
#include "server/measurement_store.h"
#include "server/model_registry.h"
#include "server/server_metrics.h"

namespace convlat::server {

// What every admin call needs: the store it changes, the models it refits, the metrics it counts.
struct AdminCore {
  MeasurementStore& store;
  ModelRegistry& models;
  ServerMetrics& metrics;
};

// INVALID_ARGUMENT naming the field ("platform", "before"), NOT_FOUND for an unknown (or removed)
// platform; on any error nothing is changed. With dry_run, `change` says what would change.
absl::Status RetireMeasurements(const AdminCore& core, const v1::RetireMeasurementsRequest& request,
                                v1::AdminChange& change);
absl::Status RemovePlatform(const AdminCore& core, const v1::RemovePlatformRequest& request, v1::AdminChange& change);
// A removed platform is found too: purging is how its data goes.
absl::Status PurgeRetired(const AdminCore& core, const v1::PurgeRetiredRequest& request, v1::AdminChange& change);

}  // namespace convlat::server
