#pragma once
// What the PostgreSQL store's files share: the libpqxx connection and the helpers around it.

#include <cstdint>
#include <exception>
#include <pqxx/pqxx>
#include <string>

#include "absl/status/status.h"
#include "server/postgres_store.h"

namespace convlat::server {

struct PostgresStore::Connection {
  pqxx::connection db;
};

int64_t PostgresNowSeconds();

// pqxx reports through exceptions; the store's callers get a status that says what to do.
absl::Status PostgresError(const std::exception& e, const std::string& what);

std::string PostgresBytes(const pqxx::field& field);

}  // namespace convlat::server
