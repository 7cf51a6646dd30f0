#include "server/sqlite_store.h"

#include <ctime>
#include <optional>

#include "absl/strings/str_cat.h"
#include "server/measurement_identity.h"
#include "server/schema_migrations.h"
#include "server/sqlite_statement.h"

namespace convlat::server {
namespace {

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

bool Exec(sqlite3* db, const char* sql) { return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

// Whether the schema has the history columns (superseded_at, retired_at, removed_at): a store
// opened at an older version (tests build databases as older convlats left them) works as those did.
bool HasHistoryColumns(sqlite3* db) {
  SqliteStatement select(db, "SELECT count(*) FROM pragma_table_info('measurements') WHERE name = 'retired_at'");
  return select.prepared() && select.Step() == SQLITE_ROW && select.Int(0) == 1;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path, int schema_version) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot open store ", path, ": ", db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return status;
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db, path));
  sqlite3_busy_timeout(db, 5000);  // another process (a backup, sqlite3 CLI) may hold a lock briefly
  // WAL lets readers (other processes, backups) work while the server writes. synchronous=FULL
  // makes every commit durable before InsertBatch returns, because the agent deletes its copy
  // once acked: NORMAL could lose the last commits on power loss.
  if (!Exec(db, "PRAGMA journal_mode=WAL") || !Exec(db, "PRAGMA synchronous=FULL") ||
      !Exec(db, "PRAGMA foreign_keys=ON")) {
    return absl::FailedPreconditionError(
        absl::StrCat("store ", path, " is not a usable SQLite database: ", sqlite3_errmsg(db)));
  }
  if (absl::Status status = MigrateSchema(db, schema_version); !status.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("store ", path, ": ", status.message()));
  }
  store->history_ = HasHistoryColumns(db);
  if (store->history_) {
    if (absl::Status status = store->GiveOlderRowsTheirIdentity(); !status.ok()) return status;
  }
  return store;
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

absl::Status SqliteStore::Error(const std::string& what) const {
  const std::string message = absl::StrCat("store ", path_, ": ", what, ": ", sqlite3_errmsg(db_));
  // The code tells the caller what to do: a full or failing disk is the operator's to fix and the
  // agent's to retry later (its spool keeps the batch); corruption is data loss.
  switch (sqlite3_errcode(db_) & 0xff) {
    case SQLITE_FULL: return absl::ResourceExhaustedError(message);
    case SQLITE_IOERR: return absl::UnavailableError(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return absl::DataLossError(message);
    default: return absl::InternalError(message);
  }
}

absl::Status SqliteStore::RollBack(const std::string& what) {
  absl::Status status = Error(what);  // before ROLLBACK replaces the connection's last error
  Exec(db_, "ROLLBACK");
  return status;
}

absl::StatusOr<int64_t> SqliteStore::PlatformId(const std::string& name) {
  SqliteStatement select(db_, absl::StrCat("SELECT id FROM platforms WHERE name = ?", NotRemoved()));
  if (!select.prepared()) return Error("reading platform");
  select.Bind(1, name);
  const int rc = select.Step();
  if (rc == SQLITE_ROW) return select.Int(0);
  if (rc == SQLITE_DONE) return absl::NotFoundError(absl::StrCat("platform '", name, "' is not registered"));
  return Error("reading platform");
}

absl::StatusOr<StoredBatch> SqliteStore::StoredBatchOf(const std::string& batch_id) {
  SqliteStatement select(db_,
                         "SELECT p.name, b.measurement_count, b.content_sha256 FROM batches b "
                         "JOIN platforms p ON p.id = b.platform_id WHERE b.batch_id = ?");
  if (!select.prepared()) return Error("reading batch");
  select.Bind(1, batch_id);
  if (select.Step() != SQLITE_ROW) return Error("reading batch");
  return StoredBatch{
      .platform = select.Blob(0), .measurement_count = select.Int(1), .content_digest = select.OptionalText(2)};
}

absl::StatusOr<UpsertPlatformResult> SqliteStore::UpsertPlatform(const v1::Platform& platform) {
  if (platform.name().empty()) return absl::InvalidArgumentError("platform.name is required");
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<int64_t> existing = PlatformId(platform.name());
  if (!existing.ok() && existing.status().code() != absl::StatusCode::kNotFound) return existing.status();
  const bool created = !existing.ok();
  // Registering a removed platform's name again revives the row (its history stays retired).
  SqliteStatement upsert(db_, absl::StrCat("INSERT INTO platforms(name, record, created_at, updated_at) "
                                           "VALUES (?1, ?2, ?3, ?3) ON CONFLICT(name) DO UPDATE SET "
                                           "record = excluded.record, updated_at = excluded.updated_at",
                                           history_ ? ", removed_at = NULL" : ""));
  if (!upsert.prepared()) return Error("writing platform");
  upsert.Bind(1, platform.name());
  upsert.BindBlob(2, platform.SerializeAsString());
  upsert.Bind(3, NowSeconds());
  if (upsert.Step() != SQLITE_DONE) return Error("writing platform");
  return UpsertPlatformResult{platform, created};
}

absl::StatusOr<v1::Platform> SqliteStore::GetPlatform(const std::string& name) {
  absl::MutexLock lock(&mutex_);
  SqliteStatement select(db_, absl::StrCat("SELECT record FROM platforms WHERE name = ?", NotRemoved()));
  if (!select.prepared()) return Error("reading platform");
  select.Bind(1, name);
  const int rc = select.Step();
  if (rc == SQLITE_DONE) return absl::NotFoundError(absl::StrCat("platform '", name, "' is not registered"));
  if (rc != SQLITE_ROW) return Error("reading platform");
  v1::Platform platform;
  if (!platform.ParseFromString(select.Blob(0))) {
    return absl::DataLossError(absl::StrCat("store ", path_, ": platform '", name, "' record is corrupt"));
  }
  return platform;
}

absl::StatusOr<std::vector<v1::Platform>> SqliteStore::ListPlatforms() {
  absl::MutexLock lock(&mutex_);
  SqliteStatement select(db_, absl::StrCat("SELECT record FROM platforms WHERE 1", NotRemoved(), " ORDER BY name"));
  if (!select.prepared()) return Error("listing platforms");
  std::vector<v1::Platform> platforms;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    if (!platforms.emplace_back().ParseFromString(select.Blob(0))) {
      return absl::DataLossError(absl::StrCat("store ", path_, ": a platform record is corrupt"));
    }
  }
  if (rc != SQLITE_DONE) return Error("listing platforms");
  return platforms;
}

absl::StatusOr<InsertBatchResult> SqliteStore::InsertBatch(const v1::MeasurementBatch& batch) {
  if (batch.batch_id().empty()) return absl::InvalidArgumentError("batch_id is required");
  const std::string digest = BatchContentDigest(batch);  // before the lock: it reads the batch only
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<int64_t> platform_id = PlatformId(batch.platform());
  if (!platform_id.ok()) return platform_id.status();
  if (!Exec(db_, "BEGIN IMMEDIATE")) return Error("starting a transaction");
  // Anything that fails below rolls the whole batch back: all of it is stored, or none.
  {
    SqliteStatement insert_batch(db_,
                                 "INSERT INTO batches(batch_id, platform_id, received_at, measurement_count, "
                                 "content_sha256) VALUES (?, ?, ?, ?, ?) ON CONFLICT(batch_id) DO NOTHING");
    if (!insert_batch.prepared()) return RollBack("recording batch");
    insert_batch.Bind(1, batch.batch_id());
    insert_batch.Bind(2, *platform_id);
    insert_batch.Bind(3, NowSeconds());
    insert_batch.Bind(4, static_cast<int64_t>(batch.measurements_size()));
    insert_batch.Bind(5, digest);
    if (insert_batch.Step() != SQLITE_DONE) return RollBack("recording batch");
    if (sqlite3_changes(db_) == 0) {
      // The id is taken. The transaction's write lock keeps the row as it was found: the same
      // batch sent again is a duplicate; another batch under that id is refused.
      absl::StatusOr<StoredBatch> stored = StoredBatchOf(batch.batch_id());
      Exec(db_, "ROLLBACK");
      if (!stored.ok()) return stored.status();
      if (absl::Status resend = CheckResend(*stored, batch, digest); !resend.ok()) return resend;
      return InsertBatchResult{0, true};
    }
  }
  SqliteStatement insert(
      db_, absl::StrCat("INSERT INTO measurements(platform_id, batch_id, n, c, h, w, k, r, s, "
                        "stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w, groups_, dtype, "
                        "layout, math_mode, backend, algorithm, median_us, hot_median_us, failed, noisy, "
                        "measured_at, record",
                        history_ ? ", identity" : "", ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?",
                        history_ ? ",?" : "", ")"));
  if (!insert.prepared()) return RollBack("preparing measurement insert");
  // The current row of the same configuration that each new one replaces, kept as history.
  SqliteStatement supersede(db_,
                            "UPDATE measurements SET superseded_at = ?1 WHERE platform_id = ?2 AND identity = ?3 "
                            "AND id < ?4 AND superseded_at IS NULL AND retired_at IS NULL");
  if (history_ && !supersede.prepared()) return RollBack("preparing measurement insert");
  int superseded = 0;
  for (const v1::Measurement& m : batch.measurements()) {
    const v1::ConvParams& p = m.params();
    int column = 1;
    insert.Bind(column++, *platform_id);
    insert.Bind(column++, batch.batch_id());
    for (int64_t value : {p.n(), p.c(), p.h(), p.w(), p.k(), p.r(), p.s(), p.stride_h(), p.stride_w(), p.pad_h(),
                          p.pad_w(), p.dilation_h(), p.dilation_w(), p.groups()}) {
      insert.Bind(column++, value);
    }
    insert.Bind(column++, static_cast<int64_t>(p.dtype()));
    insert.Bind(column++, static_cast<int64_t>(p.layout()));
    insert.Bind(column++, static_cast<int64_t>(p.math_mode()));
    insert.Bind(column++, m.backend());
    insert.Bind(column++, m.algorithm());
    insert.Bind(column++, m.latency().median_us());
    if (m.has_hot_latency()) {
      insert.Bind(column++, m.hot_latency().median_us());
    } else {
      insert.BindNull(column++);
    }
    insert.Bind(column++, static_cast<int64_t>(m.failed() ? 1 : 0));
    insert.Bind(column++, static_cast<int64_t>(m.noisy() ? 1 : 0));
    insert.Bind(column++, static_cast<int64_t>(m.measured_at().seconds()));
    insert.BindBlob(column++, m.SerializeAsString());
    const std::string identity = history_ ? MeasurementIdentity(m) : "";
    if (history_) insert.Bind(column++, identity);
    if (insert.Step() != SQLITE_DONE) return RollBack("storing a measurement");
    insert.Reset();
    if (!history_) continue;
    supersede.Bind(1, NowSeconds());
    supersede.Bind(2, *platform_id);
    supersede.Bind(3, identity);
    supersede.Bind(4, static_cast<int64_t>(sqlite3_last_insert_rowid(db_)));
    if (supersede.Step() != SQLITE_DONE) return RollBack("superseding a measurement");
    superseded += sqlite3_changes(db_);
    supersede.Reset();
  }
  if (!Exec(db_, "COMMIT")) return RollBack("committing batch");
  return InsertBatchResult{.stored = batch.measurements_size(), .duplicate = false, .superseded = superseded};
}

absl::StatusOr<std::vector<v1::Measurement>> SqliteStore::LoadMeasurements(const std::string& platform) {
  absl::MutexLock lock(&mutex_);
  SqliteStatement select(db_, absl::StrCat("SELECT m.record FROM measurements m JOIN platforms p ON p.id = "
                                           "m.platform_id WHERE p.name = ?",
                                           CurrentOnly(), " ORDER BY m.id"));
  if (!select.prepared()) return Error("loading measurements");
  select.Bind(1, platform);
  std::vector<v1::Measurement> measurements;
  int rc;
  while ((rc = select.Step()) == SQLITE_ROW) {
    if (!measurements.emplace_back().ParseFromString(select.Blob(0))) {
      return absl::DataLossError(
          absl::StrCat("store ", path_, ": a measurement record of '", platform, "' is corrupt"));
    }
  }
  if (rc != SQLITE_DONE) return Error("loading measurements");
  return measurements;
}

absl::StatusOr<int64_t> SqliteStore::CountSuccessfulMeasurements(const std::string& platform) {
  absl::MutexLock lock(&mutex_);
  SqliteStatement select(db_, absl::StrCat("SELECT COUNT(*) FROM measurements m JOIN platforms p ON p.id = "
                                           "m.platform_id WHERE p.name = ? AND m.failed = 0",
                                           CurrentOnly()));
  if (!select.prepared()) return Error("counting measurements");
  select.Bind(1, platform);
  if (select.Step() != SQLITE_ROW) return Error("counting measurements");
  return select.Int(0);
}

}  // namespace convlat::server
