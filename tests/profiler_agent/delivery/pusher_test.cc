// The pusher against the real server, in-process on a loopback port, with measurements made by
// the real oneDNN backend.
#include "profiler_agent/delivery/pusher.h"

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "model/layers/conv_spec.h"
#include "profiler_agent/onednn/onednn_backend.h"
#include "server/server_app.h"
#include "tests/profiler_agent/delivery/spooled_test.h"
#include "tests/support/test_dir.h"

namespace convlat::agent {
namespace {

namespace fs = std::filesystem;

class PusherTest : public SpooledTest {
 protected:
  void SetUp() override {
    SpooledTest::SetUp();
    if (HasFatalFailure()) return;
    v1::Platform platform;
    platform.set_name("box-cpu");
    ASSERT_TRUE(spool_->SavePlatform(platform).ok());
  }
  void TearDown() override {
    server_.reset();
    SpooledTest::TearDown();
  }

  void StartServer() {
    server::ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.db = (dir_ / "convlat.db").string();
    options.metrics_listen = "";
    absl::StatusOr<std::unique_ptr<server::ServerApp>> app = server::ServerApp::Start(options);
    ASSERT_TRUE(app.ok()) << app.status();
    server_ = std::move(*app);
  }
  std::shared_ptr<grpc::Channel> Channel(int port) {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  }

  // A batch of real measurements of small layers on this CPU.
  v1::MeasurementBatch MeasuredBatch(int first_k) {
    TimingOptions timing;
    timing.min_repetitions = 3;
    timing.min_seconds = 0;
    timing.max_seconds = 0.1;
    v1::MeasurementBatch batch;
    batch.set_batch_id(spool_->NewBatchId("test-agent"));
    batch.set_platform("box-cpu");
    for (int k = first_k; k < first_k + 3; ++k) {
      for (v1::Measurement& m :
           backend_->Measure(*model::ParseConvSpec("n=1,c=8,h=16,w=16,r=3,s=3,pad=1,k=" + std::to_string(k)), timing)) {
        *batch.add_measurements() = std::move(m);
      }
    }
    return batch;
  }

  int64_t StoredOnServer() {
    server_->models().WaitUntilIdle();
    auto model = server_->models().Get("box-cpu");
    return model ? model->info.sample_count() : 0;
  }

  std::unique_ptr<ConvBackend> backend_ = MakeOneDnnBackend();
  std::unique_ptr<server::ServerApp> server_;
};

TEST_F(PusherTest, ServerAwayKeepsEverythingThenDeliversExactlyOnce) {
  ASSERT_TRUE(spool_->Add(MeasuredBatch(8)).ok());
  ASSERT_TRUE(spool_->Add(MeasuredBatch(16)).ok());

  Pusher offline(Channel(1), *spool_, "test-agent");
  absl::Status status = offline.PushUntil(std::chrono::steady_clock::now() + std::chrono::milliseconds(500));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(spool_->Pending()->size(), 2u);

  StartServer();
  Pusher online(Channel(server_->port()), *spool_, "test-agent");
  ASSERT_TRUE(online.PushUntil(std::chrono::steady_clock::now() + std::chrono::seconds(10)).ok());
  EXPECT_TRUE(spool_->Pending()->empty());
  EXPECT_EQ(online.totals().acked_batches, 2);
  EXPECT_EQ(online.totals().stored, 6);
  EXPECT_EQ(StoredOnServer(), 6);
}

TEST_F(PusherTest, ABatchSentTwiceIsStoredOnce) {
  StartServer();
  const v1::MeasurementBatch batch = MeasuredBatch(8);
  ASSERT_TRUE(spool_->Add(batch).ok());
  ASSERT_TRUE(spool_->Add(MeasuredBatch(16)).ok());
  Pusher pusher(Channel(server_->port()), *spool_, "test-agent");
  ASSERT_TRUE(pusher.PushOnce(std::chrono::seconds(5)).ok());
  // As if the ack had been lost: the same batch comes again.
  ASSERT_TRUE(spool_->Add(batch).ok());
  ASSERT_TRUE(pusher.PushOnce(std::chrono::seconds(5)).ok());
  EXPECT_EQ(pusher.totals().duplicate_batches, 1);
  EXPECT_EQ(StoredOnServer(), 6);
}

TEST_F(PusherTest, InvalidBatchMovesToRejectedAndTheRestGoesThrough) {
  StartServer();
  v1::MeasurementBatch bad = MeasuredBatch(8);
  bad.mutable_measurements(0)->mutable_params()->set_k(0);
  ASSERT_TRUE(spool_->Add(bad).ok());
  ASSERT_TRUE(spool_->Add(MeasuredBatch(16)).ok());
  Pusher pusher(Channel(server_->port()), *spool_, "test-agent");
  ASSERT_TRUE(pusher.PushOnce(std::chrono::seconds(5)).ok());
  EXPECT_TRUE(spool_->Pending()->empty());
  EXPECT_EQ(pusher.totals().rejected_batches, 1);
  int rejected_files = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "spool" / "rejected")) {
    rejected_files += entry.path().extension() == ".batch" ? 1 : 0;
  }
  EXPECT_EQ(rejected_files, 1);
  EXPECT_EQ(StoredOnServer(), 3);
}

}  // namespace
}  // namespace convlat::agent
