#pragma once
// A fresh directory with the agent's spool open in it (dir_/spool), removed after the test: the
// setting of every test that delivers, pushes or plans through a spool.

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "profiler_agent/delivery/spool.h"
#include "tests/support/test_dir.h"

namespace convlat::agent {

class SpooledTest : public ::testing::Test {
 protected:
  // Fixtures that extend SetUp call this first and return when HasFatalFailure().
  void SetUp() override {
    dir_ = convlat::testing::FreshTestDir();
    absl::StatusOr<Spool> spool = Spool::Open((dir_ / "spool").string());
    ASSERT_TRUE(spool.ok()) << spool.status();
    spool_ = std::make_unique<Spool>(*std::move(spool));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
  std::unique_ptr<Spool> spool_;
};

}  // namespace convlat::agent
