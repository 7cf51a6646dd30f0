#include "server/postgres_connection.h"

#include <chrono>

#include "absl/strings/str_cat.h"

namespace convlat::server {

int64_t PostgresNowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

absl::Status PostgresError(const std::exception& e, const std::string& what) {
  const std::string message = absl::StrCat("postgres store: ", what, ": ", e.what());
  if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) return absl::UnavailableError(message);
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    // SQLSTATE class 53: insufficient resources (disk full, out of memory, too many connections).
    if (sql->sqlstate().rfind("53", 0) == 0) return absl::ResourceExhaustedError(message);
  }
  return absl::InternalError(message);
}

std::string PostgresBytes(const pqxx::field& field) { return pqxx::binarystring(field).str(); }

}  // namespace convlat::server
