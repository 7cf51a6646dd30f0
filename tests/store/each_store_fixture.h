#pragma once
// The tests both stores must pass, run on each: a fresh SQLite file in the test temporary directory,
// or a fresh database of a real PostgreSQL started by the first PostgreSQL test (skipped, saying
// why, where PostgreSQL is not installed). "h100" and "a100" are registered before each test.

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/measurement_store.h"
#include "tests/support/temporary_postgres.h"

namespace convlat::testing {

enum class StoreBackend { kSqlite, kPostgres };
const char* Name(StoreBackend backend);
void PrintTo(StoreBackend backend, std::ostream* out);  // in the test names ctest shows

class EachStoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  // `stem` starts the database's name (unique per process and test).
  explicit EachStoreTest(std::string stem) : stem_(std::move(stem)) {}

  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  // One record per entry of `ks`, the output channels telling them apart: n=1, c=64, 28x28, 3x3
  // filters, timed by oneDNN at a median of 10 + k µs.
  static v1::MeasurementBatch ConvBatch(const std::string& id, const std::string& platform, const std::vector<int>& ks);

  // Another connection to the same database, as a second replica (or a second server thread) has.
  std::unique_ptr<server::MeasurementStore> Open();

  std::unique_ptr<server::MeasurementStore> store_;

 private:
  static TemporaryPostgres* postgres_;  // shared by the suite's PostgreSQL tests
  static std::string why_no_postgres_;
  std::string stem_;
  std::string sqlite_path_;
  std::string url_;
};

// INSTANTIATE_TEST_SUITE_P(EachStore, Suite, EachStore(), StoreTestName): every test of the suite
// on SQLite and on PostgreSQL, named after the store.
inline auto EachStore() { return ::testing::Values(StoreBackend::kSqlite, StoreBackend::kPostgres); }
std::string StoreTestName(const ::testing::TestParamInfo<StoreBackend>& info);

}  // namespace convlat::testing
