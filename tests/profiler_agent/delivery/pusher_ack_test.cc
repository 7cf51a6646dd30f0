// What the pusher does with the server's answers, against a double of the server that answers
// each batch as the test scripts it: a batch leaves the spool only on its own ack. A double
// rather than the real server, because the real one cannot be made to break a stream between
// storing a batch and acknowledging it; the agent's side is what is under test here.
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convlat/v1/profiler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/server_builder.h"
#include "model/layers/conv_spec.h"
#include "profiler_agent/delivery/pusher.h"
#include "profiler_agent/delivery/spool.h"
#include "tests/profiler_agent/delivery/spooled_test.h"
#include "tests/support/test_dir.h"

namespace convlat::agent {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

// How the double answers each batch it reads.
enum class Answer {
  kBreakBeforeAck,     // ends the stream with UNAVAILABLE, no ack (a server or network gone mid-push)
  kAck,                // acknowledges it as stored
  kAckAnotherBatchId,  // acknowledges a batch id it was not sent
  kStoreFull,          // acknowledges it with RESOURCE_EXHAUSTED, as the server does when its disk is full
  kIdTaken,            // acknowledges it with ALREADY_EXISTS: another batch was stored under its id
};

class ScriptedProfilerService final : public v1::ProfilerService::Service {
 public:
  explicit ScriptedProfilerService(Answer answer) : answer_(answer) {}

  grpc::Status RegisterPlatform(grpc::ServerContext*, const v1::RegisterPlatformRequest*,
                                v1::RegisterPlatformResponse*) override {
    return grpc::Status::OK;
  }

  grpc::Status PushMeasurements(grpc::ServerContext*,
                                grpc::ServerReaderWriter<v1::PushAck, v1::MeasurementBatch>* stream) override {
    for (v1::MeasurementBatch batch; stream->Read(&batch);) {
      {
        std::lock_guard lock(mutex_);
        received_.push_back(batch.batch_id());
      }
      if (answer_ == Answer::kBreakBeforeAck) return grpc::Status(grpc::UNAVAILABLE, "gone before the ack");
      v1::PushAck ack;
      ack.set_batch_id(answer_ == Answer::kAckAnotherBatchId ? "another-" + batch.batch_id() : batch.batch_id());
      if (answer_ == Answer::kStoreFull) {
        ack.set_code(static_cast<int>(grpc::RESOURCE_EXHAUSTED));
        ack.set_error("store convlat.db: committing batch: database or disk is full");
      } else if (answer_ == Answer::kIdTaken) {
        ack.set_code(static_cast<int>(grpc::ALREADY_EXISTS));
        ack.set_error("batch_id '" + batch.batch_id() + "' was already stored with other measurements");
      } else {
        ack.set_stored(batch.measurements_size());
      }
      if (!stream->Write(ack)) return grpc::Status(grpc::CANCELLED, "the agent left");
    }
    return grpc::Status::OK;
  }

  // Batch ids read, in the order they came, over every stream.
  std::vector<std::string> received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }

 private:
  const Answer answer_;
  mutable std::mutex mutex_;
  std::vector<std::string> received_;
};

// The double, listening on a free loopback port.
class ScriptedServer {
 public:
  explicit ScriptedServer(Answer answer) : service_(answer) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
  }
  ~ScriptedServer() { server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1)); }

  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel("127.0.0.1:" + std::to_string(port_), grpc::InsecureChannelCredentials());
  }
  std::vector<std::string> received() const { return service_.received(); }

 private:
  ScriptedProfilerService service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

class PusherAckTest : public SpooledTest {
 protected:
  void SetUp() override {
    SpooledTest::SetUp();
    if (HasFatalFailure()) return;
    v1::Platform platform;
    platform.set_name("box");
    ASSERT_TRUE(spool_->SavePlatform(platform).ok());
    for (int k : {8, 16, 24}) {
      v1::MeasurementBatch batch;
      batch.set_batch_id(spool_->NewBatchId("agent"));
      batch.set_platform("box");
      v1::Measurement* m = batch.add_measurements();
      *m->mutable_params() = *model::ParseConvSpec("n=1,c=8,h=16,w=16,r=3,s=3,k=" + std::to_string(k));
      m->mutable_latency()->set_median_us(k);
      ASSERT_TRUE(spool_->Add(batch).ok());
      spooled_ids_.push_back(batch.batch_id());
    }
  }

  // Batch ids still pending in the spool, oldest first.
  std::vector<std::string> PendingIds() const {
    const absl::StatusOr<std::vector<std::string>> pending = spool_->Pending();
    EXPECT_TRUE(pending.ok()) << pending.status();
    std::vector<std::string> ids;
    for (const std::string& path : pending.value_or(std::vector<std::string>{})) {
      ids.push_back(spool_->Read(path)->batch_id());
    }
    return ids;
  }
  std::vector<std::string> Rejected() const {
    std::vector<std::string> files;
    for (const auto& entry : fs::directory_iterator(dir_ / "spool" / "rejected")) files.push_back(entry.path());
    return files;
  }

  std::vector<std::string> spooled_ids_;
};

TEST_F(PusherAckTest, AStreamBrokenBeforeTheAckKeepsEveryBatchAndTheNextServerGetsEachOnce) {
  ScriptedServer breaking(Answer::kBreakBeforeAck);
  Pusher first(breaking.Channel(), *spool_, "agent");
  const absl::Status broken = first.PushOnce(std::chrono::seconds(5));
  EXPECT_FALSE(broken.ok());
  // The first batch reached the server and got no ack: it must still be in the spool.
  EXPECT_THAT(breaking.received(), ElementsAreArray({spooled_ids_[0]}));
  EXPECT_THAT(PendingIds(), ElementsAreArray(spooled_ids_));
  EXPECT_THAT(Rejected(), IsEmpty());
  EXPECT_EQ(first.totals().acked_batches, 0);

  ScriptedServer acking(Answer::kAck);
  Pusher second(acking.Channel(), *spool_, "agent");
  ASSERT_TRUE(second.PushOnce(std::chrono::seconds(5)).ok());
  EXPECT_THAT(acking.received(), ElementsAreArray(spooled_ids_)) << "each batch delivered exactly once, in order";
  EXPECT_THAT(PendingIds(), IsEmpty());
  EXPECT_EQ(second.totals().acked_batches, 3);
  EXPECT_EQ(second.totals().stored, 3);
}

TEST_F(PusherAckTest, AnAckForAnotherBatchIdRemovesNothing) {
  ScriptedServer confused(Answer::kAckAnotherBatchId);
  Pusher pusher(confused.Channel(), *spool_, "agent");
  const absl::Status status = pusher.PushOnce(std::chrono::seconds(5));
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), ::testing::HasSubstr(spooled_ids_[0]));
  // The pusher stops at the mismatch rather than sending more into a stream it cannot trust.
  EXPECT_THAT(confused.received(), ElementsAreArray({spooled_ids_[0]}));
  EXPECT_THAT(PendingIds(), ElementsAreArray(spooled_ids_));
  EXPECT_THAT(Rejected(), IsEmpty());
  EXPECT_EQ(pusher.totals().acked_batches, 0);
}

// A full disk on the server is no fault of the batch: it waits in the spool for a later push,
// unlike a batch the server refuses as invalid (rejected/). tests/integration/full_disk_test.cc
// shows the same with the real server on a full file system, where the machine allows mounting one.
TEST_F(PusherAckTest, AStoreFullAckKeepsTheBatchPendingAndOutOfRejected) {
  ScriptedServer full(Answer::kStoreFull);
  Pusher pusher(full.Channel(), *spool_, "agent");
  const absl::Status status = pusher.PushOnce(std::chrono::seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(full.received(), ElementsAreArray({spooled_ids_[0]}));
  EXPECT_THAT(PendingIds(), ElementsAreArray(spooled_ids_));
  EXPECT_THAT(Rejected(), IsEmpty());
  EXPECT_EQ(pusher.totals().rejected_batches, 0);
}

// A batch id the server already holds for other measurements: resending cannot succeed, so the
// batch goes to rejected/ (kept for a person, with the reason) and the push carries on.
TEST_F(PusherAckTest, AnIdTakenAckMovesTheBatchToRejectedAndTheOthersStillGo) {
  ScriptedServer taken(Answer::kIdTaken);
  Pusher pusher(taken.Channel(), *spool_, "agent");
  const absl::Status status = pusher.PushOnce(std::chrono::seconds(5));
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(taken.received(), ElementsAreArray(spooled_ids_)) << "each batch sent once, none retried";
  EXPECT_THAT(PendingIds(), IsEmpty());
  EXPECT_EQ(Rejected().size(), 2 * spooled_ids_.size()) << "each batch and its reason";
  EXPECT_EQ(pusher.totals().rejected_batches, static_cast<int>(spooled_ids_.size()));
}

}  // namespace
}  // namespace convlat::agent
