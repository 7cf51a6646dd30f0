#include "tests/support/temporary_postgres.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "tests/support/free_port.h"

namespace convlat::testing {
namespace {

namespace fs = std::filesystem;

// The newest /usr/lib/postgresql/<version>/bin that has initdb.
std::string FindServerBin() {
  std::string best;
  if (!fs::exists("/usr/lib/postgresql")) return best;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql")) {
    const fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && bin.string() > best) best = bin.string();
  }
  return best;
}

// Runs `command` as the user PostgreSQL accepts: this one, or `postgres` when this is root.
int Run(const std::string& command) {
  const std::string as_user = geteuid() == 0 ? "runuser -u postgres -- " : "";
  return std::system((as_user + command + " >/dev/null 2>&1").c_str());
}

}  // namespace

absl::StatusOr<std::unique_ptr<TemporaryPostgres>> TemporaryPostgres::Start() {
  const std::string bin = FindServerBin();
  if (bin.empty()) return absl::UnavailableError("PostgreSQL is not installed (apt-get install postgresql)");
  const fs::path dir =
      fs::temp_directory_path() / ("convlat_pg_" + std::to_string(getpid()) + "_" + std::to_string(std::rand()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  if (geteuid() == 0 && std::system(("chown postgres:postgres " + dir.string()).c_str()) != 0) {
    return absl::UnavailableError("cannot hand the data directory to the postgres user");
  }
  const std::string data = (dir / "data").string();
  if (Run(absl::StrCat(bin, "/initdb -D ", data, " --auth=trust -U postgres")) != 0) {
    return absl::UnavailableError(absl::StrCat("initdb failed in ", data));
  }
  const int port = FreePort();
  const std::string options =
      absl::StrCat("-p ", port, " -k ", dir.string(), " -c listen_addresses=127.0.0.1 -c fsync=off");
  if (Run(absl::StrCat(bin, "/pg_ctl -D ", data, " -l ", dir.string(), "/server.log -w -o '", options, "' start")) !=
      0) {
    return absl::UnavailableError(absl::StrCat("pg_ctl start failed; see ", dir.string(), "/server.log"));
  }
  return std::unique_ptr<TemporaryPostgres>(new TemporaryPostgres(bin, dir.string(), port));
}

TemporaryPostgres::~TemporaryPostgres() {
  Run(absl::StrCat(bin_, "/pg_ctl -D ", dir_, "/data -m immediate stop"));
  std::error_code ignored;
  fs::remove_all(dir_, ignored);
}

absl::StatusOr<std::string> TemporaryPostgres::NewDatabase(const std::string& name) {
  const std::string base = absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/");
  try {
    pqxx::connection admin(base + "postgres");
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(name));
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot create database ", name, ": ", e.what()));
  }
  return base + name;
}

}  // namespace convlat::testing
