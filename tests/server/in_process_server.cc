#include "tests/server/in_process_server.h"

#include <chrono>

#include "convlat/v1/profiler.grpc.pb.h"
#include "tests/support/test_dir.h"

namespace convlat::server {

namespace fs = std::filesystem;

void InProcessServerTest::SetUp() { dir_ = convlat::testing::FreshTestDir(); }

void InProcessServerTest::TearDown() {
  app_.reset();
  fs::remove_all(dir_);
}

void InProcessServerTest::Start(ServerOptions options) {
  options.listen = "127.0.0.1:0";
  options.db = (dir_ / "convlat.db").string();
  options.metrics_listen = "";
  absl::StatusOr<std::unique_ptr<ServerApp>> app = ServerApp::Start(options);
  ASSERT_TRUE(app.ok()) << app.status();
  app_ = *std::move(app);
}

grpc::Status InProcessServerTest::Register(const std::shared_ptr<grpc::Channel>& channel, const std::string& name) {
  v1::RegisterPlatformRequest request;
  request.mutable_platform()->set_name(name);
  request.mutable_platform()->set_kind(v1::PLATFORM_KIND_CPU);
  v1::RegisterPlatformResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return v1::ProfilerService::NewStub(channel)->RegisterPlatform(&context, request, &response);
}

std::string InProcessServerTest::Address(const std::string& host) const {
  return host + ":" + std::to_string(app_->port());
}

}  // namespace convlat::server
