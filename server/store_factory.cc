#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "server/measurement_store.h"
#include "server/postgres_store.h"
#include "server/schema_migrations.h"
#include "server/sqlite_store.h"

namespace convlat::server {

absl::StatusOr<std::unique_ptr<MeasurementStore>> OpenMeasurementStore(const std::string& url) {
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    absl::StatusOr<std::unique_ptr<PostgresStore>> store = PostgresStore::Open(url);
    if (!store.ok()) return store.status();
    return std::unique_ptr<MeasurementStore>(std::move(*store));
  }
  std::string path = url;
  if (absl::StartsWith(path, "sqlite:")) path = path.substr(std::string("sqlite:").size());
  if (path.empty()) return absl::InvalidArgumentError("db: a store path is required");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(path, LatestSchemaVersion());
  if (!store.ok()) return store.status();
  return std::unique_ptr<MeasurementStore>(std::move(*store));
}

}  // namespace convlat::server
