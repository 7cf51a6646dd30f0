#pragma once
// Durable storage of platforms and measurements. Implementations are thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "convlat/v1/profiler.pb.h"
#include "convlat/v1/types.pb.h"

namespace convlat::server {

struct UpsertPlatformResult {
  v1::Platform platform;
  bool created = false;
};

struct InsertBatchResult {
  int stored = 0;
  bool duplicate = false;  // the same batch was stored before; nothing was written
};

class MeasurementStore {
 public:
  virtual ~MeasurementStore() = default;

  // Creates or replaces the platform's description, keyed by platform.name().
  virtual absl::StatusOr<UpsertPlatformResult> UpsertPlatform(const v1::Platform& platform) = 0;
  // NOT_FOUND when no platform has that name.
  virtual absl::StatusOr<v1::Platform> GetPlatform(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<v1::Platform>> ListPlatforms() = 0;

  // Stores every measurement of the batch in one transaction, or none. The same batch stored
  // before (same id, platform and measurements: an agent resending after a lost ack) is reported
  // as duplicate and writes nothing. ALREADY_EXISTS, writing nothing, when the id was stored for
  // another platform or other measurements (see batch_identity.h). NOT_FOUND when the batch's
  // platform is unknown.
  virtual absl::StatusOr<InsertBatchResult> InsertBatch(const v1::MeasurementBatch& batch) = 0;

  // All measurements of the platform (failed ones included), in insertion order.
  virtual absl::StatusOr<std::vector<v1::Measurement>> LoadMeasurements(const std::string& platform) = 0;
  // Successful measurements of the platform.
  virtual absl::StatusOr<int64_t> CountSuccessfulMeasurements(const std::string& platform) = 0;
};

// Opens (creating if needed) the store named by `url`: a file path or "sqlite:PATH" for the
// embedded SQLite store, "postgresql://..." (libpq connection URI) for a shared PostgreSQL
// database. Runs pending schema migrations.
absl::StatusOr<std::unique_ptr<MeasurementStore>> OpenMeasurementStore(const std::string& url);

}  // namespace convlat::server
