#pragma once
// A fresh, empty directory for the running test: named after the test and this process, so
// tests running in parallel (ctest -j) never share one.

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace convlat::testing {

inline std::filesystem::path FreshTestDirectory(const std::string& prefix) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      (prefix + "_" + std::to_string(getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace convlat::testing
