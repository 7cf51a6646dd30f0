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
  int superseded = 0;      // stored measurements this batch measured again (kept as history)
};

// A platform's measurements by state. Only current ones are fitted and count as measured for
// sweep plans; the others are history, kept until PurgeRetired deletes them.
struct MeasurementCounts {
  int64_t current = 0;     // successful, neither superseded nor retired
  int64_t noisy = 0;       // of the current ones, flagged noisy by the agent (read from the record)
  int64_t superseded = 0;  // a newer measurement of the same configuration replaced them
  int64_t retired = 0;     // retired by an admin (RetireMeasurements, RemovePlatform)
};

struct PurgeResult {
  int64_t purged = 0;            // measurements deleted (retired or superseded)
  bool platform_purged = false;  // the platform had been removed: its record and batches went too
};

class MeasurementStore {
 public:
  virtual ~MeasurementStore() = default;

  // Creates or replaces the platform's description, keyed by platform.name(). A removed platform's
  // name registers a new platform (created), which starts without current measurements.
  virtual absl::StatusOr<UpsertPlatformResult> UpsertPlatform(const v1::Platform& platform) = 0;
  // NOT_FOUND when no platform has that name (or it was removed); removed platforms are not listed.
  virtual absl::StatusOr<v1::Platform> GetPlatform(const std::string& name) = 0;
  virtual absl::StatusOr<std::vector<v1::Platform>> ListPlatforms() = 0;

  // Stores every measurement of the batch in one transaction, or none. The same batch stored
  // before (same id, platform and measurements: an agent resending after a lost ack) is reported
  // as duplicate and writes nothing. ALREADY_EXISTS, writing nothing, when the id was stored for
  // another platform or other measurements (see batch_identity.h). NOT_FOUND when the batch's
  // platform is unknown or removed. A measurement supersedes the platform's current one of the same
  // configuration (MeasurementIdentity), earlier in the same batch too: the older row is kept,
  // marked superseded.
  virtual absl::StatusOr<InsertBatchResult> InsertBatch(const v1::MeasurementBatch& batch) = 0;

  // The platform's current measurements (failed ones included; superseded and retired ones not),
  // in insertion order.
  virtual absl::StatusOr<std::vector<v1::Measurement>> LoadMeasurements(const std::string& platform) = 0;
  // Current successful measurements of the platform.
  virtual absl::StatusOr<int64_t> CountSuccessfulMeasurements(const std::string& platform) = 0;
  // The platform's measurements by state; NOT_FOUND for an unknown or removed platform.
  virtual absl::StatusOr<MeasurementCounts> CountMeasurements(const std::string& platform) = 0;

  // What the admin calls change (AdminService), each in one transaction; with `dry_run` they
  // count what they would change and write nothing. NOT_FOUND, changing nothing, for an unknown
  // platform, and for a removed one but in PurgeRetired.
  //
  // Retires the current measurements measured before `before_unix_seconds` (the record's
  // measured_at, or when its batch arrived for records without one). Returns how many.
  virtual absl::StatusOr<int64_t> RetireMeasurements(const std::string& platform, int64_t before_unix_seconds,
                                                     bool dry_run) = 0;
  // Retires all current measurements and marks the platform removed. Returns how many it retired.
  virtual absl::StatusOr<int64_t> RemovePlatform(const std::string& platform, bool dry_run) = 0;
  // Deletes retired and superseded measurements; for a removed platform, all of it.
  virtual absl::StatusOr<PurgeResult> PurgeRetired(const std::string& platform, bool dry_run) = 0;
};

// Opens (creating if needed) the store named by `url`: a file path or "sqlite:PATH" for the
// embedded SQLite store, "postgresql://..." (libpq connection URI) for a shared PostgreSQL
// database. Runs pending schema migrations.
absl::StatusOr<std::unique_ptr<MeasurementStore>> OpenMeasurementStore(const std::string& url);

}  // namespace convlat::server
