#pragma once
// A throwaway PostgreSQL server for tests: initdb into a temporary directory, started on a free
// loopback port with trust authentication, stopped and removed with this object. PostgreSQL
// refuses to run as root, so under root it runs as the `postgres` user the Debian package creates.

#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace convlat::testing {

class TemporaryPostgres {
 public:
  // UNAVAILABLE, with the reason, when PostgreSQL is not installed or does not start.
  static absl::StatusOr<std::unique_ptr<TemporaryPostgres>> Start();
  ~TemporaryPostgres();
  TemporaryPostgres(const TemporaryPostgres&) = delete;
  TemporaryPostgres& operator=(const TemporaryPostgres&) = delete;

  // Creates an empty database and returns its URL, postgresql://postgres@127.0.0.1:PORT/NAME.
  absl::StatusOr<std::string> NewDatabase(const std::string& name);

 private:
  TemporaryPostgres(std::string bin, std::string dir, int port) : bin_(bin), dir_(dir), port_(port) {}
  std::string bin_;  // the server's bin directory (initdb, pg_ctl)
  std::string dir_;
  int port_;
};

}  // namespace convlat::testing
