#pragma once
// The embedded SQLite measurement store (the default; one file, WAL mode).

#include <sqlite3.h>

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "server/batch_identity.h"
#include "server/measurement_store.h"

namespace convlat::server {

class SqliteStore final : public MeasurementStore {
 public:
  // Opens or creates the file and migrates its schema up to `schema_version` (tests pass an
  // older version to build a database as an older convlat left it).
  static absl::StatusOr<std::unique_ptr<SqliteStore>> Open(const std::string& path, int schema_version);
  ~SqliteStore() override;

  absl::StatusOr<UpsertPlatformResult> UpsertPlatform(const v1::Platform& platform) override;
  absl::StatusOr<v1::Platform> GetPlatform(const std::string& name) override;
  absl::StatusOr<std::vector<v1::Platform>> ListPlatforms() override;
  absl::StatusOr<InsertBatchResult> InsertBatch(const v1::MeasurementBatch& batch) override;
  absl::StatusOr<std::vector<v1::Measurement>> LoadMeasurements(const std::string& platform) override;
  absl::StatusOr<int64_t> CountSuccessfulMeasurements(const std::string& platform) override;
  // History and admin (sqlite_store_history.cc).
  absl::StatusOr<MeasurementCounts> CountMeasurements(const std::string& platform) override;
  absl::StatusOr<int64_t> RetireMeasurements(const std::string& platform, int64_t before_unix_seconds,
                                             bool dry_run) override;
  absl::StatusOr<int64_t> RemovePlatform(const std::string& platform, bool dry_run) override;
  absl::StatusOr<PurgeResult> PurgeRetired(const std::string& platform, bool dry_run) override;

 private:
  SqliteStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  // Status naming the store and SQLite's message (the connection's last error, hence the lock).
  absl::Status Error(const std::string& what) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Error(what) after rolling back the transaction in progress.
  absl::Status RollBack(const std::string& what) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The platform's row id; NOT_FOUND for an unknown or removed platform.
  absl::StatusOr<int64_t> PlatformId(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // SQL conditions leaving out removed platforms (table platforms, unaliased) and rows that are
  // history (measurements aliased m); empty for a schema without history.
  const char* NotRemoved() const { return history_ ? " AND removed_at IS NULL" : ""; }
  const char* CurrentOnly() const { return history_ ? " AND m.superseded_at IS NULL AND m.retired_at IS NULL" : ""; }
  // Rows stored before the history columns get their MeasurementIdentity, and older rows of a
  // configuration measured again are marked superseded, as if stored by this convlat.
  absl::Status GiveOlderRowsTheirIdentity() ABSL_LOCKS_EXCLUDED(mutex_);
  // The admin calls' common start: a transaction, and the platform's id (NOT_FOUND rolls back).
  absl::StatusOr<int64_t> BeginAdminChange(const std::string& platform) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Commits, or with `dry_run` rolls back, the admin change in progress.
  absl::Status FinishAdminChange(bool dry_run) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The stored batch of that id (it must exist).
  absl::StatusOr<StoredBatch> StoredBatchOf(const std::string& batch_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  // One connection serialised by a mutex: SQLite allows one writer at a time anyway, and reads
  // here are short indexed scans, so a connection pool would add complexity and no throughput.
  // The pointer never changes; guarding it makes every use of the connection take the lock.
  absl::Mutex mutex_;
  sqlite3* const db_ ABSL_GUARDED_BY(mutex_);
  const std::string path_;
  bool history_ = false;  // the schema has superseded_at/retired_at/removed_at; set once in Open
};

}  // namespace convlat::server
