// The SQLite store's history and admin calls: superseded and retired measurements, removed and
// purged platforms (measurement_store.h says what each call does).
#include <ctime>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/measurement_identity.h"
#include "server/sqlite_statement.h"
#include "server/sqlite_store.h"

namespace convlat::server {
namespace {

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

bool Exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

// The current rows of platform ?1 that RetireMeasurements(before = ?2) retires: measured before
// the time, by the agent's clock, or by the server's when the batch arrived for records without one.
constexpr char kRetirable[] =
    " FROM measurements WHERE platform_id = ?1 AND superseded_at IS NULL AND retired_at IS NULL AND "
    "COALESCE(NULLIF(measured_at, 0), (SELECT received_at FROM batches b WHERE b.batch_id = measurements.batch_id)) "
    "< ?2";
constexpr char kCurrent[] =
    " FROM measurements WHERE platform_id = ?1 AND superseded_at IS NULL AND retired_at IS NULL";
constexpr char kHistory[] =
    " FROM measurements WHERE platform_id = ?1 AND (superseded_at IS NOT NULL OR retired_at IS NOT NULL)";

}  // namespace

absl::Status SqliteStore::GiveOlderRowsTheirIdentity() {
  absl::MutexLock lock(&mutex_);
  if (!Exec(db_, "BEGIN IMMEDIATE")) return Error("starting a transaction");
  std::vector<std::pair<int64_t, std::string>> identities;
  {
    SqliteStatement select(db_, "SELECT id, record FROM measurements WHERE identity IS NULL");
    if (!select.prepared()) return RollBack("reading measurements without identity");
    int rc;
    while ((rc = select.Step()) == SQLITE_ROW) {
      v1::Measurement m;
      if (!m.ParseFromString(select.Blob(1))) return RollBack("a measurement record is corrupt");
      identities.emplace_back(select.Int(0), MeasurementIdentity(m));
    }
    if (rc != SQLITE_DONE) return RollBack("reading measurements without identity");
  }
  if (identities.empty()) {
    Exec(db_, "ROLLBACK");
    return absl::OkStatus();
  }
  SqliteStatement update(db_, "UPDATE measurements SET identity = ? WHERE id = ?");
  if (!update.prepared()) return RollBack("recording measurement identities");
  for (const auto& [id, identity] : identities) {
    update.Bind(1, identity);
    update.Bind(2, id);
    if (update.Step() != SQLITE_DONE) return RollBack("recording measurement identities");
    update.Reset();
  }
  // The same configuration stored twice before (an import run twice): the newest is current.
  SqliteStatement supersede(db_,
                            "UPDATE measurements SET superseded_at = ? WHERE superseded_at IS NULL AND "
                            "retired_at IS NULL AND EXISTS (SELECT 1 FROM measurements newer WHERE "
                            "newer.platform_id = measurements.platform_id AND newer.identity = measurements.identity "
                            "AND newer.id > measurements.id AND newer.retired_at IS NULL)");
  if (!supersede.prepared()) return RollBack("superseding older measurements");
  supersede.Bind(1, NowSeconds());
  if (supersede.Step() != SQLITE_DONE) return RollBack("superseding older measurements");
  if (!Exec(db_, "COMMIT")) return RollBack("recording measurement identities");
  return absl::OkStatus();
}

absl::StatusOr<MeasurementCounts> SqliteStore::CountMeasurements(const std::string& platform) {
  absl::MutexLock lock(&mutex_);
  if (!history_) return absl::FailedPreconditionError(absl::StrCat("store ", path_, ": schema has no history"));
  absl::StatusOr<int64_t> platform_id = PlatformId(platform);
  if (!platform_id.ok()) return platform_id.status();
  MeasurementCounts counts;
  SqliteStatement count(db_,
                        "SELECT count(*) FILTER (WHERE superseded_at IS NULL AND retired_at IS NULL AND failed = 0), "
                        "count(*) FILTER (WHERE superseded_at IS NOT NULL AND retired_at IS NULL), "
                        "count(*) FILTER (WHERE retired_at IS NOT NULL) FROM measurements WHERE platform_id = ?");
  if (!count.prepared()) return Error("counting measurements");
  count.Bind(1, *platform_id);
  if (count.Step() != SQLITE_ROW) return Error("counting measurements");
  counts.current = count.Int(0);
  counts.superseded = count.Int(1);
  counts.retired = count.Int(2);
  // Read from the record, the source of truth, so that it counts whatever the agent flagged
  // whichever columns this schema has.
  SqliteStatement records(db_, absl::StrCat("SELECT record", kCurrent, " AND failed = 0"));
  if (!records.prepared()) return Error("counting noisy measurements");
  records.Bind(1, *platform_id);
  int rc;
  while ((rc = records.Step()) == SQLITE_ROW) {
    v1::Measurement m;
    if (!m.ParseFromString(records.Blob(0))) {
      return absl::DataLossError(
          absl::StrCat("store ", path_, ": a measurement record of '", platform, "' is corrupt"));
    }
    if (m.noisy()) ++counts.noisy;
  }
  if (rc != SQLITE_DONE) return Error("counting noisy measurements");
  return counts;
}

absl::StatusOr<int64_t> SqliteStore::BeginAdminChange(const std::string& platform) {
  if (!history_) return absl::FailedPreconditionError(absl::StrCat("store ", path_, ": schema has no history"));
  if (!Exec(db_, "BEGIN IMMEDIATE")) return Error("starting a transaction");
  absl::StatusOr<int64_t> platform_id = PlatformId(platform);
  if (!platform_id.ok()) Exec(db_, "ROLLBACK");
  return platform_id;
}

absl::Status SqliteStore::FinishAdminChange(bool dry_run) {
  if (dry_run) {
    Exec(db_, "ROLLBACK");
    return absl::OkStatus();
  }
  if (!Exec(db_, "COMMIT")) return RollBack("committing");
  return absl::OkStatus();
}

absl::StatusOr<int64_t> SqliteStore::RetireMeasurements(const std::string& platform, int64_t before_unix_seconds,
                                                        bool dry_run) {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<int64_t> platform_id = BeginAdminChange(platform);
  if (!platform_id.ok()) return platform_id.status();
  SqliteStatement retire(
      db_, absl::StrCat("UPDATE measurements SET retired_at = ?3 WHERE id IN (SELECT id", kRetirable, ")"));
  if (!retire.prepared()) return RollBack("retiring measurements");
  retire.Bind(1, *platform_id);
  retire.Bind(2, before_unix_seconds);
  retire.Bind(3, NowSeconds());
  if (retire.Step() != SQLITE_DONE) return RollBack("retiring measurements");
  const int64_t retired = sqlite3_changes(db_);
  if (absl::Status s = FinishAdminChange(dry_run); !s.ok()) return s;
  return retired;
}

absl::StatusOr<int64_t> SqliteStore::RemovePlatform(const std::string& platform, bool dry_run) {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<int64_t> platform_id = BeginAdminChange(platform);
  if (!platform_id.ok()) return platform_id.status();
  SqliteStatement retire(db_,
                         absl::StrCat("UPDATE measurements SET retired_at = ?2 WHERE id IN (SELECT id", kCurrent, ")"));
  if (!retire.prepared()) return RollBack("retiring measurements");
  retire.Bind(1, *platform_id);
  retire.Bind(2, NowSeconds());
  if (retire.Step() != SQLITE_DONE) return RollBack("retiring measurements");
  const int64_t retired = sqlite3_changes(db_);
  SqliteStatement remove(db_, "UPDATE platforms SET removed_at = ?2 WHERE id = ?1");
  if (!remove.prepared()) return RollBack("removing platform");
  remove.Bind(1, *platform_id);
  remove.Bind(2, NowSeconds());
  if (remove.Step() != SQLITE_DONE) return RollBack("removing platform");
  if (absl::Status s = FinishAdminChange(dry_run); !s.ok()) return s;
  return retired;
}

absl::StatusOr<PurgeResult> SqliteStore::PurgeRetired(const std::string& platform, bool dry_run) {
  absl::MutexLock lock(&mutex_);
  if (!history_) return absl::FailedPreconditionError(absl::StrCat("store ", path_, ": schema has no history"));
  if (!Exec(db_, "BEGIN IMMEDIATE")) return Error("starting a transaction");
  // Removed platforms too: purging is how their data goes.
  SqliteStatement find(db_, "SELECT id, removed_at IS NOT NULL FROM platforms WHERE name = ?");
  if (!find.prepared()) return RollBack("reading platform");
  find.Bind(1, platform);
  const int rc = find.Step();
  if (rc == SQLITE_DONE) {
    Exec(db_, "ROLLBACK");
    return absl::NotFoundError(absl::StrCat("platform '", platform, "' is not registered"));
  }
  if (rc != SQLITE_ROW) return RollBack("reading platform");
  const int64_t platform_id = find.Int(0);
  PurgeResult result{.purged = 0, .platform_purged = find.Int(1) == 1};
  SqliteStatement purge(
      db_, absl::StrCat("DELETE", result.platform_purged ? " FROM measurements WHERE platform_id = ?1" : kHistory));
  if (!purge.prepared()) return RollBack("purging measurements");
  purge.Bind(1, platform_id);
  if (purge.Step() != SQLITE_DONE) return RollBack("purging measurements");
  result.purged = sqlite3_changes(db_);
  if (result.platform_purged) {
    // Its batch ids go with it: a platform registered under the name again starts afresh.
    for (const char* sql : {"DELETE FROM batches WHERE platform_id = ?", "DELETE FROM platforms WHERE id = ?"}) {
      SqliteStatement remove(db_, sql);
      if (!remove.prepared()) return RollBack("purging platform");
      remove.Bind(1, platform_id);
      if (remove.Step() != SQLITE_DONE) return RollBack("purging platform");
    }
  }
  if (absl::Status s = FinishAdminChange(dry_run); !s.ok()) return s;
  return result;
}

}  // namespace convlat::server
