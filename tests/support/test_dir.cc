#include "tests/support/test_dir.h"

#include <unistd.h>

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

namespace convlat::testing {

std::filesystem::path FreshTestDir() {
  // A parameterized suite's name ("Prefix/Suite") is not a folder name.
  std::string suite = ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name();
  std::replace(suite.begin(), suite.end(), '/', '_');
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / ("convlat_" + suite + "_" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace convlat::testing
