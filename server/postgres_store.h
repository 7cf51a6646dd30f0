#pragma once
// The PostgreSQL store, for fleets: several convlat-server replicas share one database
// (`--db postgresql://user@host/db`). Same contract as the SQLite store: a batch is stored whole
// or not at all, a batch id once, and the serialized protos are the source of truth.

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/measurement_store.h"

namespace convlat::server {

class PostgresStore final : public MeasurementStore {
 public:
  // The schema version this build creates and understands.
  static constexpr int kSchemaVersion = 3;

  // Connects and migrates up to `schema_version` (under an advisory lock, so replicas starting
  // together do it once; tests pass an older version to build a database as an older convlat
  // left it). UNAVAILABLE when the database cannot be reached; FAILED_PRECONDITION for a schema
  // newer than `schema_version`, which is left untouched.
  static absl::StatusOr<std::unique_ptr<PostgresStore>> Open(const std::string& url,
                                                             int schema_version = kSchemaVersion);
  ~PostgresStore() override;

  absl::StatusOr<UpsertPlatformResult> UpsertPlatform(const v1::Platform& platform) override;
  absl::StatusOr<v1::Platform> GetPlatform(const std::string& name) override;
  absl::StatusOr<std::vector<v1::Platform>> ListPlatforms() override;
  absl::StatusOr<InsertBatchResult> InsertBatch(const v1::MeasurementBatch& batch) override;
  absl::StatusOr<std::vector<v1::Measurement>> LoadMeasurements(const std::string& platform) override;
  absl::StatusOr<int64_t> CountSuccessfulMeasurements(const std::string& platform) override;

 private:
  struct Connection;  // the libpqxx connection, kept out of this header
  explicit PostgresStore(std::unique_ptr<Connection> connection);

  absl::Mutex mutex_;  // one connection, used by one thread at a time
  const std::unique_ptr<Connection> connection_ ABSL_PT_GUARDED_BY(mutex_);
};

}  // namespace convlat::server
