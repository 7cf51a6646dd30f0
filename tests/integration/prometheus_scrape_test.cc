// Debian's real Prometheus scrapes a running convlat-server and stores real values: the proof
// that /metrics is what a Prometheus deployment (deploy/) can use. Skips where `prometheus` is not
// installed (scripts/install-deps.sh installs it).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convlat/v1/latency.grpc.pb.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "server/server_app.h"
#include "tests/integration/subprocess.h"
#include "tests/support/free_port.h"
#include "tests/support/http_get.h"

namespace convlat::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kPrometheus[] = "/usr/bin/prometheus";

TEST(PrometheusScrapeTest, RealPrometheusStoresTheServersCounters) {
  if (!fs::exists(kPrometheus)) GTEST_SKIP() << kPrometheus << " not installed (apt-get install prometheus)";
  const fs::path dir = fs::path(::testing::TempDir()) / ("convlat_prometheus_" + std::to_string(getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  absl::StatusOr<std::unique_ptr<server::ServerApp>> app = server::ServerApp::Start(
      {.listen = "127.0.0.1:0", .db = (dir / "convlat.db").string(), .metrics_listen = "127.0.0.1:0"});
  ASSERT_TRUE(app.ok()) << app.status();

  // Traffic to count: three registrations, two queries about an unknown platform.
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string((*app)->port()), grpc::InsecureChannelCredentials());
  for (const char* name : {"a", "b", "c"}) {
    v1::RegisterPlatformRequest request;
    request.mutable_platform()->set_name(name);
    v1::RegisterPlatformResponse response;
    grpc::ClientContext context;
    ASSERT_TRUE(v1::ProfilerService::NewStub(channel)->RegisterPlatform(&context, request, &response).ok());
  }
  for (int i = 0; i < 2; ++i) {
    v1::GetPlatformModelRequest request;
    request.set_platform("nowhere");
    v1::PlatformModel response;
    grpc::ClientContext context;
    EXPECT_EQ(v1::LatencyService::NewStub(channel)->GetPlatformModel(&context, request, &response).error_code(),
              grpc::NOT_FOUND);
  }

  const int web_port = FreePort();
  std::ofstream(dir / "prometheus.yml") << "global:\n  scrape_interval: 1s\nscrape_configs:\n"
                                        << "  - job_name: convlat-server\n    static_configs:\n"
                                        << "      - targets: ['127.0.0.1:" << (*app)->metrics_port() << "']\n";
  BackgroundProcess prometheus(
      {kPrometheus, "--config.file=" + (dir / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir / "data").string(), "--web.listen-address=127.0.0.1:" + std::to_string(web_port)},
      (dir / "prometheus.log").string());
  const std::string query =
      "/api/v1/query?query=convlat_requests_total%7Bmethod%3D%22RegisterPlatform%22%2Ccode%3D%22OK%22%7D";
  std::string answer;
  for (int i = 0; i < 300 && answer.find("\"value\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(prometheus.running()) << "prometheus exited; see " << dir / "prometheus.log";
    answer = HttpGet(web_port, query);
  }
  EXPECT_THAT(answer, HasSubstr("\"job\":\"convlat-server\""));
  EXPECT_THAT(answer, HasSubstr(",\"3\"]")) << answer;  // the three registrations, as scraped

  const std::string not_found = HttpGet(
      web_port,
      "/api/v1/query?query=convlat_requests_total%7Bmethod%3D%22GetPlatformModel%22%2Ccode%3D%22NOT_FOUND%22%7D");
  EXPECT_THAT(not_found, HasSubstr(",\"2\"]")) << not_found;
  const std::string histogram = HttpGet(
      web_port, "/api/v1/query?query=convlat_request_duration_seconds_count%7Bmethod%3D%22RegisterPlatform%22%7D");
  EXPECT_THAT(histogram, HasSubstr(",\"3\"]")) << histogram;

  prometheus.Stop(SIGTERM);
  app->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace convlat::testing
