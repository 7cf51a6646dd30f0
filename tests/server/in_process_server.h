#pragma once
// The real server started in-process on a free loopback port, with its SQLite file in the test's
// own temporary folder: for tests of what the server promises its callers.

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "grpcpp/channel.h"
#include "grpcpp/support/status.h"
#include "server/server_app.h"

namespace convlat::server {

class InProcessServerTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Starts the server with `options`; the address, store and metrics endpoint are the test's.
  void Start(ServerOptions options);
  // Registers the CPU platform `name` over `channel`.
  grpc::Status Register(const std::shared_ptr<grpc::Channel>& channel, const std::string& name = "box");
  std::string Address(const std::string& host = "127.0.0.1") const;

  std::filesystem::path dir_;
  std::unique_ptr<ServerApp> app_;
};

}  // namespace convlat::server
