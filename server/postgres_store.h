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
  static constexpr int kSchemaVersion = 5;

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
  // History and admin (postgres_store_history.cc).
  absl::StatusOr<MeasurementCounts> CountMeasurements(const std::string& platform) override;
  absl::StatusOr<int64_t> RetireMeasurements(const std::string& platform, int64_t before_unix_seconds,
                                             bool dry_run) override;
  absl::StatusOr<int64_t> RemovePlatform(const std::string& platform, bool dry_run) override;
  absl::StatusOr<PurgeResult> PurgeRetired(const std::string& platform, bool dry_run) override;

 private:
  struct Connection;  // the libpqxx connection, kept out of this header (postgres_connection.h)
  explicit PostgresStore(std::unique_ptr<Connection> connection);

  // Whether the schema has the history columns (a store opened at an older version works as the
  // older convlat did), and if so gives rows stored before them their identity and measured_at.
  absl::Status DetectHistory() ABSL_LOCKS_EXCLUDED(mutex_);
  // SQL conditions leaving out removed platforms (convlat_platforms, unaliased) and history rows
  // (measurements aliased m); empty for a schema without history.
  const char* NotRemoved() const { return history_ ? " AND removed_at IS NULL" : ""; }
  const char* CurrentOnly() const { return history_ ? " AND m.superseded_at IS NULL AND m.retired_at IS NULL" : ""; }

  absl::Mutex mutex_;  // one connection, used by one thread at a time
  const std::unique_ptr<Connection> connection_ ABSL_PT_GUARDED_BY(mutex_);
  bool history_ = false;  // set once in Open
};

}  // namespace convlat::server
