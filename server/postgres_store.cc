#include "server/postgres_store.h"

#include <chrono>
#include <iterator>
#include <optional>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "server/batch_identity.h"
#include "server/measurement_identity.h"
#include "server/postgres_connection.h"

namespace convlat::server {
namespace {

// Every replica takes this lock while migrating, so only one creates the schema.
constexpr int64_t kMigrationLock = 0x636f6e766c6174;  // "convlat"

constexpr char kSchemaV1[] = R"sql(
  CREATE TABLE convlat_platforms (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    record BYTEA NOT NULL,             -- serialized convlat.v1.Platform
    created_at BIGINT NOT NULL,        -- unix seconds
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE convlat_batches (
    batch_id TEXT PRIMARY KEY,
    platform_id BIGINT NOT NULL REFERENCES convlat_platforms(id),
    received_at BIGINT NOT NULL,
    measurement_count INTEGER NOT NULL
  );
  CREATE TABLE convlat_measurements (
    id BIGSERIAL PRIMARY KEY,
    platform_id BIGINT NOT NULL REFERENCES convlat_platforms(id),
    batch_id TEXT NOT NULL REFERENCES convlat_batches(batch_id),
    failed BOOLEAN NOT NULL,
    median_us DOUBLE PRECISION,
    record BYTEA NOT NULL              -- serialized convlat.v1.Measurement: the source of truth
  );
  CREATE INDEX convlat_measurements_platform ON convlat_measurements(platform_id, id);
)sql";

// Append only, like the SQLite store's: a released migration never changes.
constexpr const char* kMigrations[] = {
    kSchemaV1,
    // v2: the digest of each batch's measurements (BatchContentDigest), so that an id sent again
    // with other measurements is told apart from a resend without keeping the batch twice. Rows
    // stored before stay NULL: their resends are taken as duplicates, as they were before.
    "ALTER TABLE convlat_batches ADD COLUMN content_sha256 TEXT",
    // v3: whether the agent flagged the measurement noisy (its spread stayed too wide after
    // re-measuring), beside `failed`. Rows stored before read false; their records say what the
    // agent sent.
    "ALTER TABLE convlat_measurements ADD COLUMN noisy BOOLEAN NOT NULL DEFAULT FALSE",
    // v4: re-profiling and admin (issue 14), as the SQLite store's migration of the same name; the
    // measurement time joins them (SQLite had it from v1). Rows stored before get their identity
    // and measured_at when the store opens.
    R"sql(
      ALTER TABLE convlat_measurements ADD COLUMN identity TEXT, ADD COLUMN measured_at BIGINT,
        ADD COLUMN superseded_at BIGINT, ADD COLUMN retired_at BIGINT;
      ALTER TABLE convlat_platforms ADD COLUMN removed_at BIGINT;
      CREATE INDEX convlat_measurements_identity ON convlat_measurements(platform_id, identity);
    )sql",
    // v5: the hot median beside median_us, as the SQLite store's v6. Rows stored before, and
    // measurements timed only evicted, read NULL.
    "ALTER TABLE convlat_measurements ADD COLUMN hot_median_us DOUBLE PRECISION",
};
static_assert(std::size(kMigrations) == PostgresStore::kSchemaVersion);

// The hot_median_us column of a measurement: NULL when it was not timed hot.
std::optional<double> HotMedian(const v1::Measurement& m) {
  return m.has_hot_latency() ? std::optional<double>(m.hot_latency().median_us()) : std::nullopt;
}

}  // namespace

PostgresStore::PostgresStore(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}
PostgresStore::~PostgresStore() = default;

absl::StatusOr<std::unique_ptr<PostgresStore>> PostgresStore::Open(const std::string& url, int schema_version) {
  if (schema_version < 1 || schema_version > kSchemaVersion) {
    return absl::InvalidArgumentError(absl::StrCat("postgres store: no schema version ", schema_version));
  }
  std::unique_ptr<Connection> connection;
  try {
    connection.reset(new Connection{pqxx::connection(url)});
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot connect to the postgres store: ", e.what()));
  }
  try {
    pqxx::work tx(connection->db);
    tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLock);
    tx.exec("CREATE TABLE IF NOT EXISTS convlat_schema (version INTEGER NOT NULL)");
    pqxx::result rows = tx.exec("SELECT version FROM convlat_schema");
    const int version = rows.empty() ? 0 : rows[0][0].as<int>();
    if (version > schema_version) {
      return absl::FailedPreconditionError(absl::StrCat("postgres store has schema version ", version,
                                                        ", newer than this convlat's ", schema_version,
                                                        "; upgrade convlat-server (nothing was changed)"));
    }
    // All in this transaction: a migration that fails leaves the schema as it was.
    for (int next = version + 1; next <= schema_version; ++next) tx.exec(kMigrations[next - 1]);
    if (rows.empty()) {
      tx.exec_params("INSERT INTO convlat_schema(version) VALUES ($1)", schema_version);
    } else {
      tx.exec_params("UPDATE convlat_schema SET version = $1", schema_version);
    }
    tx.commit();
  } catch (const std::exception& e) {
    return PostgresError(e, "migrating the schema");
  }
  std::unique_ptr<PostgresStore> store(new PostgresStore(std::move(connection)));
  if (absl::Status s = store->DetectHistory(); !s.ok()) return s;
  return store;
}

absl::StatusOr<UpsertPlatformResult> PostgresStore::UpsertPlatform(const v1::Platform& platform) {
  if (platform.name().empty()) return absl::InvalidArgumentError("platform.name is required");
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::work tx(connection_->db);
    // xmax is 0 for a row this statement inserted, not for one it updated. A removed platform's
    // name registers a new platform: the row is revived, and reported created (`previous` sees the
    // row as it was before the statement).
    const pqxx::row row = tx.exec_params1(
        std::string(history_ ? "WITH previous AS (SELECT removed_at FROM convlat_platforms WHERE name = $1) " : "") +
            "INSERT INTO convlat_platforms(name, record, created_at, updated_at) VALUES ($1, $2, $3, $3) "
            "ON CONFLICT (name) DO UPDATE SET record = excluded.record, updated_at = excluded.updated_at " +
            (history_ ? ", removed_at = NULL RETURNING (xmax = 0) OR EXISTS (SELECT 1 FROM previous WHERE "
                        "removed_at IS NOT NULL)"
                      : "RETURNING (xmax = 0)"),
        platform.name(), pqxx::binarystring(platform.SerializeAsString()), PostgresNowSeconds());
    tx.commit();
    return UpsertPlatformResult{.platform = platform, .created = row[0].as<bool>()};
  } catch (const std::exception& e) {
    return PostgresError(e, "storing platform");
  }
}

absl::StatusOr<v1::Platform> PostgresStore::GetPlatform(const std::string& name) {
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::read_transaction tx(connection_->db);
    const pqxx::result rows =
        tx.exec_params(absl::StrCat("SELECT record FROM convlat_platforms WHERE name = $1", NotRemoved()), name);
    if (rows.empty()) return absl::NotFoundError(absl::StrCat("platform '", name, "' is not registered"));
    v1::Platform platform;
    if (!platform.ParseFromString(PostgresBytes(rows[0][0]))) {
      return absl::DataLossError(absl::StrCat("postgres store: platform '", name, "' record is corrupt"));
    }
    return platform;
  } catch (const std::exception& e) {
    return PostgresError(e, "reading platform");
  }
}

absl::StatusOr<std::vector<v1::Platform>> PostgresStore::ListPlatforms() {
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::read_transaction tx(connection_->db);
    std::vector<v1::Platform> platforms;
    for (const pqxx::row& row :
         tx.exec(absl::StrCat("SELECT record FROM convlat_platforms WHERE true", NotRemoved(), " ORDER BY name"))) {
      v1::Platform& platform = platforms.emplace_back();
      if (!platform.ParseFromString(PostgresBytes(row[0]))) {
        return absl::DataLossError("postgres store: a platform record is corrupt");
      }
    }
    return platforms;
  } catch (const std::exception& e) {
    return PostgresError(e, "listing platforms");
  }
}

absl::StatusOr<InsertBatchResult> PostgresStore::InsertBatch(const v1::MeasurementBatch& batch) {
  if (batch.batch_id().empty()) return absl::InvalidArgumentError("batch_id is required");
  const std::string digest = BatchContentDigest(batch);  // before the lock: it reads the batch only
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::work tx(connection_->db);
    const pqxx::result platform = tx.exec_params(
        absl::StrCat("SELECT id FROM convlat_platforms WHERE name = $1", NotRemoved()), batch.platform());
    if (platform.empty())
      return absl::NotFoundError(absl::StrCat("platform '", batch.platform(), "' is not registered"));
    const int64_t platform_id = platform[0][0].as<int64_t>();
    // The batch row goes first: a batch id seen before (an agent resending after a lost ack,
    // possibly to another replica) inserts nothing and writes nothing else.
    const pqxx::result inserted = tx.exec_params(
        "INSERT INTO convlat_batches(batch_id, platform_id, received_at, measurement_count, content_sha256) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (batch_id) DO NOTHING",
        batch.batch_id(), platform_id, PostgresNowSeconds(), batch.measurements_size(), digest);
    if (inserted.affected_rows() == 0) {
      // ON CONFLICT waited for the transaction that took the id, so its row is committed and this
      // statement (a new snapshot under READ COMMITTED) sees it.
      const pqxx::row stored = tx.exec_params1(
          "SELECT p.name, b.measurement_count, b.content_sha256 FROM convlat_batches b "
          "JOIN convlat_platforms p ON p.id = b.platform_id WHERE b.batch_id = $1",
          batch.batch_id());
      tx.abort();
      StoredBatch previous{.platform = stored[0].as<std::string>(), .measurement_count = stored[1].as<int64_t>()};
      // Checked by hand: libpqxx 6's as<std::optional<std::string>>() throws on NULL.
      if (!stored[2].is_null()) previous.content_digest = stored[2].as<std::string>();
      if (absl::Status resend = CheckResend(previous, batch, digest); !resend.ok()) return resend;
      return InsertBatchResult{.stored = 0, .duplicate = true};
    }
    int superseded = 0;
    for (const v1::Measurement& m : batch.measurements()) {
      if (!history_) {
        tx.exec_params(
            "INSERT INTO convlat_measurements(platform_id, batch_id, failed, noisy, median_us, hot_median_us, "
            "record) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            platform_id, batch.batch_id(), m.failed(), m.noisy(), m.latency().median_us(), HotMedian(m),
            pqxx::binarystring(m.SerializeAsString()));
        continue;
      }
      const std::string identity = MeasurementIdentity(m);
      const int64_t id =
          tx.exec_params1(
                "INSERT INTO convlat_measurements(platform_id, batch_id, failed, noisy, median_us, hot_median_us, "
                "record, identity, measured_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                platform_id, batch.batch_id(), m.failed(), m.noisy(), m.latency().median_us(), HotMedian(m),
                pqxx::binarystring(m.SerializeAsString()), identity, m.measured_at().seconds())[0]
              .as<int64_t>();
      // The current row of the same configuration, kept as history.
      superseded += tx.exec_params(
                          "UPDATE convlat_measurements SET superseded_at = $1 WHERE platform_id = $2 AND "
                          "identity = $3 AND id < $4 AND superseded_at IS NULL AND retired_at IS NULL",
                          PostgresNowSeconds(), platform_id, identity, id)
                        .affected_rows();
    }
    tx.commit();  // all of the batch, or (on any exception above) none of it
    return InsertBatchResult{.stored = batch.measurements_size(), .duplicate = false, .superseded = superseded};
  } catch (const std::exception& e) {
    return PostgresError(e, "storing batch");
  }
}

absl::StatusOr<std::vector<v1::Measurement>> PostgresStore::LoadMeasurements(const std::string& platform) {
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::read_transaction tx(connection_->db);
    std::vector<v1::Measurement> measurements;
    for (const pqxx::row& row :
         tx.exec_params(absl::StrCat("SELECT m.record FROM convlat_measurements m JOIN convlat_platforms p ON "
                                     "p.id = m.platform_id WHERE p.name = $1",
                                     CurrentOnly(), " ORDER BY m.id"),
                        platform)) {
      v1::Measurement& m = measurements.emplace_back();
      if (!m.ParseFromString(PostgresBytes(row[0]))) {
        return absl::DataLossError(absl::StrCat("postgres store: a measurement record of '", platform, "' is corrupt"));
      }
    }
    return measurements;
  } catch (const std::exception& e) {
    return PostgresError(e, "loading measurements");
  }
}

absl::StatusOr<int64_t> PostgresStore::CountSuccessfulMeasurements(const std::string& platform) {
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::read_transaction tx(connection_->db);
    return tx
        .exec_params1(absl::StrCat("SELECT count(*) FROM convlat_measurements m JOIN convlat_platforms p ON p.id = "
                                   "m.platform_id WHERE p.name = $1 AND NOT m.failed",
                                   CurrentOnly()),
                      platform)[0]
        .as<int64_t>();
  } catch (const std::exception& e) {
    return PostgresError(e, "counting measurements");
  }
}

}  // namespace convlat::server
