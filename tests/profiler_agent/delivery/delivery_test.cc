// Delivery and sweep planning against the real server, in-process on a loopback port with an agent
// token: what the agent does and logs when the server refuses its token, when no server answers,
// and when everything goes through.
#include "profiler_agent/delivery/delivery.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/datasets/measurements_csv.h"
#include "model/layers/conv_spec.h"
#include "model/sweeps/sweeps.h"
#include "profiler_agent/delivery/agent_channel.h"
#include "profiler_agent/import_command.h"
#include "profiler_agent/sweep_runner.h"
#include "server/server_app.h"
#include "tests/profiler_agent/delivery/log_capture.h"
#include "tests/profiler_agent/delivery/spooled_test.h"
#include "tests/support/free_port.h"
#include "tests/support/test_dir.h"

namespace convlat::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "s3cret-token";
constexpr char kPlatform[] = "box-cpu";

class DeliveryTest : public SpooledTest {
 protected:
  void TearDown() override {
    server_.reset();
    SpooledTest::TearDown();
  }

  void StartServer() {
    absl::StatusOr<std::unique_ptr<server::ServerApp>> app = server::ServerApp::Start(
        {.listen = "127.0.0.1:0", .db = (dir_ / "convlat.db").string(), .metrics_listen = "", .agent_token = kToken});
    ASSERT_TRUE(app.ok()) << app.status();
    server_ = *std::move(app);
    address_ = "127.0.0.1:" + std::to_string(server_->port());
  }

  // The platform and two batches of three valid measurements, as a run leaves them.
  void FillSpool() {
    v1::Platform platform;
    platform.set_name(kPlatform);
    ASSERT_TRUE(spool_->SavePlatform(platform).ok());
    for (int batch = 0; batch < 2; ++batch) ASSERT_TRUE(spool_->Add(Batch(8 * (batch + 1))).ok());
  }
  static v1::Measurement Measured(int k) {
    v1::Measurement m;
    *m.mutable_params() = *model::ParseConvSpec("n=1,c=8,h=16,w=16,r=3,s=3,pad=1,k=" + std::to_string(k));
    m.set_backend("onednn");
    m.mutable_latency()->set_median_us(10.0 + k);
    return m;
  }
  v1::MeasurementBatch Batch(int first_k) {
    v1::MeasurementBatch batch;
    batch.set_batch_id(spool_->NewBatchId("test-agent"));
    batch.set_platform(kPlatform);
    for (int k = first_k; k < first_k + 3; ++k) *batch.add_measurements() = Measured(k);
    return batch;
  }

  DeliveryOptions Options(std::chrono::milliseconds push_timeout) const {
    return {.server = address_,
            .push_timeout = push_timeout,
            .metrics_file = (dir_ / "agent.prom").string(),
            .platform = kPlatform};
  }
  std::shared_ptr<grpc::Channel> AgentChannel(const std::string& token) const {
    return MakeAgentChannel({.server = address_, .token = token});
  }
  std::string Metrics() const {
    std::ifstream in(dir_ / "agent.prom");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::unique_ptr<server::ServerApp> server_;
  std::string address_;
};

TEST_F(DeliveryTest, ARefusedTokenEndsDeliveryAtOnceAndKeepsTheSpool) {
  StartServer();
  FillSpool();
  convlat::testing::LogCapture log;
  Pusher pusher(AgentChannel("not-the-token"), *spool_, "test-agent");
  const auto start = std::chrono::steady_clock::now();
  const absl::Status status = Deliver(pusher, *spool_, Options(std::chrono::seconds(20)));
  const auto took = std::chrono::steady_clock::now() - start;

  // Retrying cannot fix a token: no backoff over the whole 20 s.
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(status.message(),
              HasSubstr("the server at " + address_ + " refused this agent's token (UNAUTHENTICATED"));
  EXPECT_THAT(status.message(), HasSubstr("check --token_file against the server's --agent_token_file"));
  EXPECT_THAT(status.message(), HasSubstr("2 batches stay in spool " + spool_->dir()));
  EXPECT_THAT(status.message(), Not(HasSubstr("unreachable")));
  EXPECT_THAT(log.text(), HasSubstr("[error] " + std::string(status.message())));
  EXPECT_THAT(log.text(), Not(HasSubstr("retrying")));
  EXPECT_EQ(spool_->Pending()->size(), 2u);
  EXPECT_THAT(Metrics(), HasSubstr("convlat_agent_spool_batches{platform=\"box-cpu\",backend=\"\"} 2\n"));
}

TEST_F(DeliveryTest, ARefusedTokenOnTheMeasurementStreamIsNotAClosedStream) {
  // No platform in the spool: the refusal comes on the stream of batches, not on registering.
  StartServer();
  ASSERT_TRUE(spool_->Add(Batch(8)).ok());
  Pusher pusher(AgentChannel(""), *spool_, "test-agent");
  const absl::Status status = pusher.PushOnce(std::chrono::seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
  EXPECT_THAT(status.message(), HasSubstr("--token_file"));
  EXPECT_EQ(spool_->Pending()->size(), 1u);
}

TEST_F(DeliveryTest, AnUnreachableServerIsToldApartAndRetried) {
  address_ = "127.0.0.1:" + std::to_string(convlat::testing::FreePort());
  FillSpool();
  convlat::testing::LogCapture log;
  Pusher pusher(AgentChannel(kToken), *spool_, "test-agent");
  const absl::Status status = Deliver(pusher, *spool_, Options(std::chrono::milliseconds(800)));

  EXPECT_THAT(status.code(), ::testing::AnyOf(absl::StatusCode::kUnavailable, absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(status.message(), HasSubstr("server at " + address_ + " unreachable ("));
  EXPECT_THAT(status.message(), HasSubstr("2 batches stay in spool " + spool_->dir()));
  EXPECT_THAT(status.message(), HasSubstr("`convlat-agent flush --server " + address_));
  EXPECT_THAT(status.message(), Not(HasSubstr("token")));
  EXPECT_THAT(log.text(), HasSubstr("retrying"));
  EXPECT_EQ(spool_->Pending()->size(), 2u);
}

TEST_F(DeliveryTest, TheRightTokenDeliversEverything) {
  StartServer();
  FillSpool();
  Pusher pusher(AgentChannel(kToken), *spool_, "test-agent");
  ASSERT_TRUE(Deliver(pusher, *spool_, Options(std::chrono::seconds(10))).ok());
  EXPECT_TRUE(spool_->Pending()->empty());
  EXPECT_EQ(pusher.totals().stored, 6);
  EXPECT_THAT(Metrics(),
              HasSubstr("convlat_agent_last_run_measurements_stored{platform=\"box-cpu\",backend=\"\"} 6\n"));
}

TEST_F(DeliveryTest, ImportBatchesTheFileAndDeliversIt) {
  StartServer();
  const fs::path csv = dir_ / "measured.csv";
  {
    std::ofstream out(csv);
    out << model::MeasurementsCsvHeader();
    for (int k = 8; k < 13; ++k) out << model::MeasurementCsvRow(Measured(k));
  }
  Pusher pusher(AgentChannel(kToken), *spool_, "test-agent");
  EXPECT_EQ(RunImport(*spool_, pusher,
                      {.path = csv.string(),
                       .platform = kPlatform,
                       .agent_id = "test-agent",
                       .batch_size = 2,
                       .delivery = Options(std::chrono::seconds(10))}),
            0);
  EXPECT_EQ(pusher.totals().acked_batches, 3);
  EXPECT_EQ(pusher.totals().stored, 5);
  Pusher refused(AgentChannel("not-the-token"), *spool_, "test-agent");
  EXPECT_EQ(RunImport(*spool_, refused, {.path = csv.string(), .platform = kPlatform, .delivery = Options({})}), 1);
  EXPECT_EQ(spool_->Pending()->size(), 1u);
}

// Hot timings in a CSV are of no use to networks until the server knows the machine's cache, which
// a CSV does not say: the import warns unless --last_level_cache_bytes gives it.
TEST_F(DeliveryTest, ImportOfHotTimingsWithoutACacheSizeWarns) {
  const std::string networks = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/networks.csv";
  ASSERT_TRUE(fs::exists(networks)) << networks;
  Pusher pusher(AgentChannel(kToken), *spool_, "test-agent");
  {
    convlat::testing::LogCapture log;
    RunImport(*spool_, pusher, {.path = networks, .platform = kPlatform, .delivery = Options({})});
    EXPECT_THAT(log.text(), HasSubstr("measurements in " + networks +
                                      " were also timed hot, but no "
                                      "--last_level_cache_bytes was given"));
  }
  convlat::testing::LogCapture log;
  RunImport(*spool_, pusher,
            {.path = networks, .platform = kPlatform, .last_level_cache_bytes = 32 << 20, .delivery = Options({})});
  EXPECT_THAT(log.text(), ::testing::Not(HasSubstr("--last_level_cache_bytes was given")));
}

// A public file imported under the wrong --format fails on its header and names the right one.
TEST_F(DeliveryTest, ImportUnderTheWrongFormatNamesTheFormatOfTheFile) {
  const std::string justus = std::string(CONVLAT_SOURCE_DIR) + "/data/public/justus-conv/Tesla_K40.csv";
  ASSERT_TRUE(fs::exists(justus)) << justus;
  convlat::testing::LogCapture log;
  Pusher pusher(AgentChannel(kToken), *spool_, "test-agent");
  EXPECT_EQ(RunImport(*spool_, pusher, {.path = justus, .platform = kPlatform, .delivery = Options({})}), 2);
  EXPECT_THAT(log.text(), HasSubstr("(its header is that of a justus file: --format=justus)"));
  EXPECT_EQ(RunImport(*spool_, pusher,
                      {.path = justus, .format = "neusight", .platform = kPlatform, .delivery = Options({})}),
            2);
  EXPECT_THAT(log.text(), HasSubstr("--format=justus)"));
  EXPECT_TRUE(spool_->Pending()->empty());
}

TEST_F(DeliveryTest, ASweepPlanRefusedForTheTokenSaysSoAndMeasuresTheWholeSweep) {
  StartServer();
  convlat::testing::LogCapture log;
  const SweepOptions options{.platform = kPlatform, .sweep = "quick", .server = address_};
  absl::StatusOr<model::Sweep> planned =
      PlanConfigs(AgentChannel("not-the-token"), *spool_, options, *model::ResolveSweep(options.sweep));
  ASSERT_TRUE(planned.ok()) << planned.status();
  const model::Sweep whole = *model::ResolveSweep("quick");
  EXPECT_EQ(planned->convs.size(), whole.convs.size());
  EXPECT_EQ(planned->ops.size(), whole.ops.size());
  EXPECT_THAT(log.text(), HasSubstr("[error] no sweep plan: the server at " + address_ +
                                    " refused this agent's token (UNAUTHENTICATED: GetSweepPlan: "));
  EXPECT_THAT(log.text(), HasSubstr("--agent_token_file; measuring the whole sweep"));
}

TEST_F(DeliveryTest, ASweepPlanFromNoServerSaysUnreachable) {
  address_ = "127.0.0.1:" + std::to_string(convlat::testing::FreePort());
  convlat::testing::LogCapture log;
  SweepOptions options{.platform = kPlatform, .sweep = "quick", .server = address_};
  options.rpc_timeout = std::chrono::milliseconds(500);
  ASSERT_TRUE(PlanConfigs(AgentChannel(kToken), *spool_, options, *model::ResolveSweep(options.sweep)).ok());
  EXPECT_THAT(log.text(), HasSubstr("[warning] no sweep plan: server at " + address_ + " unreachable ("));
  EXPECT_THAT(log.text(), Not(HasSubstr("token")));
}

// --dtype fp16 --layout nhwc: the sweep's convolutions in half precision on tensor cores,
// channels last, and its ops in the same type and layout (what a GPU run of `run` measures).
TEST_F(DeliveryTest, ASweepInAnotherTypeAndLayoutRunsHalfPrecisionOnTensorCores) {
  address_ = "127.0.0.1:" + std::to_string(convlat::testing::FreePort());
  SweepOptions options{.platform = kPlatform,
                       .sweep = "quick",
                       .server = address_,
                       .layout = v1::LAYOUT_NHWC,
                       .dtype = v1::DATA_TYPE_FP16};
  options.rpc_timeout = std::chrono::milliseconds(500);
  absl::StatusOr<model::Sweep> planned =
      PlanConfigs(AgentChannel(kToken), *spool_, options, *model::ResolveSweep(options.sweep));
  ASSERT_TRUE(planned.ok()) << planned.status();
  ASSERT_FALSE(planned->convs.empty());
  ASSERT_FALSE(planned->ops.empty());
  for (const v1::ConvParams& conv : planned->convs) {
    EXPECT_EQ(conv.dtype(), v1::DATA_TYPE_FP16);
    EXPECT_EQ(conv.layout(), v1::LAYOUT_NHWC);
    EXPECT_EQ(conv.math_mode(), v1::MATH_MODE_TENSOR_OP);
  }
  for (const v1::OpParams& op : planned->ops) {
    EXPECT_EQ(op.dtype(), v1::DATA_TYPE_FP16);
    EXPECT_EQ(op.layout(), v1::LAYOUT_NHWC);
  }
}

}  // namespace
}  // namespace convlat::agent
