#include "server/schema_migrations.h"

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace convlat::server {
namespace {

// Append only: a released migration never changes, or databases it already ran on diverge.
constexpr const char* kMigrations[] = {
    // v1: platforms, batches (the idempotency keys) and measurements.
    R"sql(
      CREATE TABLE platforms (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        record BLOB NOT NULL,              -- serialized convlat.v1.Platform
        created_at INTEGER NOT NULL,       -- unix seconds
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE batches (
        batch_id TEXT PRIMARY KEY,
        platform_id INTEGER NOT NULL REFERENCES platforms(id),
        received_at INTEGER NOT NULL,
        measurement_count INTEGER NOT NULL
      );
      CREATE TABLE measurements (
        id INTEGER PRIMARY KEY,
        platform_id INTEGER NOT NULL REFERENCES platforms(id),
        batch_id TEXT NOT NULL REFERENCES batches(batch_id),
        n INTEGER, c INTEGER, h INTEGER, w INTEGER, k INTEGER, r INTEGER, s INTEGER,
        stride_h INTEGER, stride_w INTEGER, pad_h INTEGER, pad_w INTEGER,
        dilation_h INTEGER, dilation_w INTEGER, groups_ INTEGER,
        dtype INTEGER, layout INTEGER, math_mode INTEGER,
        backend TEXT, algorithm TEXT,
        median_us REAL,
        failed INTEGER NOT NULL,
        measured_at INTEGER,
        record BLOB NOT NULL               -- serialized convlat.v1.Measurement: the source of truth
      );
    )sql",
    // v2: the per-platform reads that every refit and sweep plan makes.
    R"sql(
      CREATE INDEX measurements_by_platform ON measurements(platform_id, failed);
      CREATE INDEX batches_by_platform ON batches(platform_id);
    )sql",
    // v3: the digest of each batch's measurements (BatchContentDigest), so that an id sent again
    // with other measurements is told apart from a resend without keeping the batch twice. Rows
    // stored before stay NULL: their resends are taken as duplicates, as they were before.
    R"sql(
      ALTER TABLE batches ADD COLUMN content_sha256 TEXT;
    )sql",
    // v4: whether the agent flagged the measurement noisy (its spread stayed too wide after
    // re-measuring), as a column beside `failed` so a count or a filter need not parse records.
    // Rows stored before read 0; their records, the source of truth, say what the agent sent.
    R"sql(
      ALTER TABLE measurements ADD COLUMN noisy INTEGER NOT NULL DEFAULT 0;
    )sql",
    // v5: re-profiling and admin (issue 14): a measurement of a configuration the platform has
    // supersedes the stored one (superseded_at), an admin retires measurements (retired_at) or
    // removes a platform (removed_at); nothing is deleted but by a purge. `identity` is
    // MeasurementIdentity: rows stored before are given theirs when the store opens.
    R"sql(
      ALTER TABLE measurements ADD COLUMN identity TEXT;
      ALTER TABLE measurements ADD COLUMN superseded_at INTEGER;
      ALTER TABLE measurements ADD COLUMN retired_at INTEGER;
      ALTER TABLE platforms ADD COLUMN removed_at INTEGER;
      CREATE INDEX measurements_by_identity ON measurements(platform_id, identity);
    )sql",
    // v6: cache state (issue 14, part 5): the CPU agent times each configuration hot as well as
    // evicted; the hot median sits beside median_us so a query need not parse records. Rows
    // stored before, and measurements timed only one way (GPUs), read NULL.
    R"sql(
      ALTER TABLE measurements ADD COLUMN hot_median_us REAL;
    )sql",
};

absl::Status Exec(sqlite3* db, const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    absl::Status status = absl::InternalError(absl::StrCat("sqlite: ", error ? error : sqlite3_errmsg(db)));
    sqlite3_free(error);
    return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<int> UserVersion(sqlite3* db) {
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr) != SQLITE_OK) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the schema version: ", sqlite3_errmsg(db)));
  }
  int version = 0;
  const int rc = sqlite3_step(statement);
  if (rc == SQLITE_ROW) version = sqlite3_column_int(statement, 0);
  sqlite3_finalize(statement);
  if (rc != SQLITE_ROW) {
    return absl::FailedPreconditionError(absl::StrCat("cannot read the schema version: ", sqlite3_errmsg(db)));
  }
  return version;
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(std::size(kMigrations)); }

absl::Status MigrateSchema(sqlite3* db, int target_version) {
  absl::StatusOr<int> current = UserVersion(db);
  if (!current.ok()) return current.status();
  if (*current > target_version) {
    return absl::FailedPreconditionError(absl::StrCat("the database has schema version ", *current,
                                                      ", newer than this convlat knows (", target_version,
                                                      "); upgrade convlat-server"));
  }
  for (int version = *current + 1; version <= target_version; ++version) {
    const std::string sql =
        absl::StrCat("BEGIN IMMEDIATE;", kMigrations[version - 1], "PRAGMA user_version = ", version, "; COMMIT;");
    if (absl::Status status = Exec(db, sql); !status.ok()) {
      Exec(db, "ROLLBACK").IgnoreError();
      return absl::InternalError(absl::StrCat("schema migration to version ", version, " failed: ", status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace convlat::server
