// The PostgreSQL store's history and admin calls, as the SQLite store's (measurement_store.h).
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/measurement_identity.h"
#include "server/postgres_connection.h"
#include "server/postgres_store.h"

namespace convlat::server {
namespace {

// The current rows of platform $1 measured before $2 (the agent's clock, or the server's when the
// batch arrived for records without one).
constexpr char kRetirable[] =
    " FROM convlat_measurements m WHERE m.platform_id = $1 AND m.superseded_at IS NULL AND m.retired_at IS NULL "
    "AND COALESCE(NULLIF(m.measured_at, 0), (SELECT b.received_at FROM convlat_batches b WHERE b.batch_id = "
    "m.batch_id)) < $2";
constexpr char kCurrent[] =
    " FROM convlat_measurements m WHERE m.platform_id = $1 AND m.superseded_at IS NULL AND m.retired_at IS NULL";

// The platform's id, removed ones included when `removed_too`; NOT_FOUND otherwise.
absl::StatusOr<std::pair<int64_t, bool>> FindPlatform(pqxx::transaction_base& tx, const std::string& platform,
                                                      bool removed_too) {
  const pqxx::result rows =
      tx.exec_params(absl::StrCat("SELECT id, removed_at IS NOT NULL FROM convlat_platforms WHERE name = $1",
                                  removed_too ? "" : " AND removed_at IS NULL"),
                     platform);
  if (rows.empty()) return absl::NotFoundError(absl::StrCat("platform '", platform, "' is not registered"));
  return std::pair{rows[0][0].as<int64_t>(), rows[0][1].as<bool>()};
}

absl::Status NoHistory() { return absl::FailedPreconditionError("postgres store: schema has no history"); }

}  // namespace

absl::Status PostgresStore::DetectHistory() {
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::work tx(connection_->db);
    history_ = tx.exec1(
                     "SELECT count(*) FROM information_schema.columns WHERE table_name = "
                     "'convlat_measurements' AND column_name = 'retired_at' AND table_schema = current_schema()")[0]
                   .as<int>() == 1;
    if (!history_) return absl::OkStatus();
    std::vector<std::pair<int64_t, v1::Measurement>> older;
    for (const pqxx::row& row : tx.exec("SELECT id, record FROM convlat_measurements WHERE identity IS NULL")) {
      v1::Measurement& m = older.emplace_back(row[0].as<int64_t>(), v1::Measurement()).second;
      if (!m.ParseFromString(PostgresBytes(row[1]))) {
        return absl::DataLossError("postgres store: a measurement record is corrupt");
      }
    }
    if (older.empty()) return absl::OkStatus();
    for (const auto& [id, m] : older) {
      tx.exec_params("UPDATE convlat_measurements SET identity = $1, measured_at = $2 WHERE id = $3",
                     MeasurementIdentity(m), m.measured_at().seconds(), id);
    }
    // The same configuration stored twice before: the newest is current.
    tx.exec_params(
        "UPDATE convlat_measurements earlier SET superseded_at = $1 WHERE earlier.superseded_at IS NULL AND "
        "earlier.retired_at IS NULL AND EXISTS (SELECT 1 FROM convlat_measurements newer WHERE newer.platform_id = "
        "earlier.platform_id AND newer.identity = earlier.identity AND newer.id > earlier.id AND newer.retired_at IS "
        "NULL)",
        PostgresNowSeconds());
    tx.commit();
    return absl::OkStatus();
  } catch (const std::exception& e) {
    return PostgresError(e, "giving older measurements their identity");
  }
}

absl::StatusOr<MeasurementCounts> PostgresStore::CountMeasurements(const std::string& platform) {
  if (!history_) return NoHistory();
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::read_transaction tx(connection_->db);
    absl::StatusOr<std::pair<int64_t, bool>> found = FindPlatform(tx, platform, false);
    if (!found.ok()) return found.status();
    const pqxx::row row = tx.exec_params1(
        "SELECT count(*) FILTER (WHERE superseded_at IS NULL AND retired_at IS NULL AND NOT failed), "
        "count(*) FILTER (WHERE superseded_at IS NOT NULL AND retired_at IS NULL), "
        "count(*) FILTER (WHERE retired_at IS NOT NULL) FROM convlat_measurements WHERE platform_id = $1",
        found->first);
    MeasurementCounts counts{
        .current = row[0].as<int64_t>(), .superseded = row[1].as<int64_t>(), .retired = row[2].as<int64_t>()};
    // From the record, the source of truth, whichever columns this schema has.
    for (const pqxx::row& record :
         tx.exec_params(absl::StrCat("SELECT m.record", kCurrent, " AND NOT m.failed"), found->first)) {
      v1::Measurement m;
      if (!m.ParseFromString(PostgresBytes(record[0]))) {
        return absl::DataLossError(absl::StrCat("postgres store: a measurement record of '", platform, "' is corrupt"));
      }
      if (m.noisy()) ++counts.noisy;
    }
    return counts;
  } catch (const std::exception& e) {
    return PostgresError(e, "counting measurements");
  }
}

absl::StatusOr<int64_t> PostgresStore::RetireMeasurements(const std::string& platform, int64_t before_unix_seconds,
                                                          bool dry_run) {
  if (!history_) return NoHistory();
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::work tx(connection_->db);
    absl::StatusOr<std::pair<int64_t, bool>> found = FindPlatform(tx, platform, false);
    if (!found.ok()) return found.status();
    const int64_t retired =
        tx.exec_params(
              absl::StrCat("UPDATE convlat_measurements SET retired_at = $3 WHERE id IN (SELECT m.id", kRetirable, ")"),
              found->first, before_unix_seconds, PostgresNowSeconds())
            .affected_rows();
    if (!dry_run) tx.commit();  // a dry run's transaction is rolled back when it goes out of scope
    return retired;
  } catch (const std::exception& e) {
    return PostgresError(e, "retiring measurements");
  }
}

absl::StatusOr<int64_t> PostgresStore::RemovePlatform(const std::string& platform, bool dry_run) {
  if (!history_) return NoHistory();
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::work tx(connection_->db);
    absl::StatusOr<std::pair<int64_t, bool>> found = FindPlatform(tx, platform, false);
    if (!found.ok()) return found.status();
    const int64_t now = PostgresNowSeconds();
    const int64_t retired =
        tx.exec_params(
              absl::StrCat("UPDATE convlat_measurements SET retired_at = $2 WHERE id IN (SELECT m.id", kCurrent, ")"),
              found->first, now)
            .affected_rows();
    tx.exec_params("UPDATE convlat_platforms SET removed_at = $2 WHERE id = $1", found->first, now);
    if (!dry_run) tx.commit();
    return retired;
  } catch (const std::exception& e) {
    return PostgresError(e, "removing platform");
  }
}

absl::StatusOr<PurgeResult> PostgresStore::PurgeRetired(const std::string& platform, bool dry_run) {
  if (!history_) return NoHistory();
  absl::MutexLock lock(&mutex_);
  try {
    pqxx::work tx(connection_->db);
    absl::StatusOr<std::pair<int64_t, bool>> found = FindPlatform(tx, platform, true);
    if (!found.ok()) return found.status();
    const auto [platform_id, removed] = *found;
    PurgeResult result{.platform_purged = removed};
    result.purged = tx.exec_params(removed ? "DELETE FROM convlat_measurements WHERE platform_id = $1"
                                           : "DELETE FROM convlat_measurements WHERE platform_id = $1 AND "
                                             "(superseded_at IS NOT NULL OR retired_at IS NOT NULL)",
                                   platform_id)
                        .affected_rows();
    if (removed) {
      tx.exec_params("DELETE FROM convlat_batches WHERE platform_id = $1", platform_id);
      tx.exec_params("DELETE FROM convlat_platforms WHERE id = $1", platform_id);
    }
    if (!dry_run) tx.commit();
    return result;
  } catch (const std::exception& e) {
    return PostgresError(e, "purging measurements");
  }
}

}  // namespace convlat::server
