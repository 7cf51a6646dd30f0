#pragma once
// `convlat-server --seed_public_data DIR`: the public GPU measurements shipped in data/public/
// (model/datasets/public_datasets.h) become platforms of a server that lacks them, so a fresh
// server answers for gpu-t4 & co. without a network and without anyone typing imports. Each goes
// through the same core functions as an agent's RegisterPlatform and PushMeasurements.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/measurement_store.h"
#include "server/model_registry.h"
#include "server/server_metrics.h"

namespace convlat::server {

struct SeedReport {
  std::vector<std::string> seeded;  // imported now (their models are being fitted in the background)
  // Already had measurements (current, superseded or retired) or were removed by an admin and not
  // purged: left as they were.
  std::vector<std::string> present;
};

// Seeds `platforms` (names from data/public/README.md; empty: all of them) from `datasets_dir`.
// A platform that already has measurements (in any state), or that an admin removed and did not
// purge, is left untouched, so starting again with the flag costs nothing, never duplicates and
// never undoes an admin's change; the batches have fixed ids ("public-data:gpu-t4:0", ...)
// for the same reason. NOT_FOUND for an unknown name or a missing file, naming it.
absl::StatusOr<SeedReport> SeedPublicPlatforms(MeasurementStore& store, ModelRegistry& models, ServerMetrics& metrics,
                                               const std::string& datasets_dir,
                                               const std::vector<std::string>& platforms);

}  // namespace convlat::server
