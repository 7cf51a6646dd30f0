// The agent token guards every write RPC, not only RegisterPlatform: a PushMeasurements stream, a
// GetSweepPlan call or an admin call (RetireMeasurements, RemovePlatform, PurgeRetired) without the
// token, or with a wrong one, is refused before it touches the store; with the token they work;
// queries need none. Against the real server in-process.
#include <chrono>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "convlat/v1/admin.grpc.pb.h"
#include "convlat/v1/latency.grpc.pb.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "model/layers/conv_spec.h"
#include "profiler_agent/delivery/agent_channel.h"
#include "tests/server/in_process_server.h"

namespace convlat::server {
namespace {

constexpr char kToken[] = "correct-horse-battery";

class AgentTokenTest : public InProcessServerTest {
 protected:
  void SetUp() override {
    InProcessServerTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(Start({.agent_token = kToken}));
    // The platform exists, so the token is the only thing that can make a push or a plan fail.
    ASSERT_TRUE(Register(Channel(kToken)).ok());
  }

  // The agent's own channel; an empty token sends no authorization header at all.
  std::shared_ptr<grpc::Channel> Channel(const std::string& token) const {
    return agent::MakeAgentChannel({.server = Address(), .token = token});
  }

  struct PushOutcome {
    std::optional<v1::PushAck> ack;  // one batch, at most one ack
    grpc::Status status;
  };
  // One stream with one valid batch of two measurements for "box": what came back.
  static PushOutcome Push(const std::shared_ptr<grpc::Channel>& channel) {
    v1::MeasurementBatch batch;
    batch.set_batch_id("token-test-batch-1");
    batch.set_platform("box");
    for (const char* spec : {"n=1,c=8,h=16,w=16,k=8,r=3,s=3,pad=1", "n=1,c=8,h=16,w=16,k=16,r=3,s=3,pad=1"}) {
      v1::Measurement* m = batch.add_measurements();
      *m->mutable_params() = *model::ParseConvSpec(spec);
      m->mutable_latency()->set_median_us(12.5);
      m->set_backend("onednn");
    }
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    auto stream = v1::ProfilerService::NewStub(channel)->PushMeasurements(&context);
    PushOutcome outcome;
    // A refused stream may already be closed when the batch is written: only what the server
    // answered counts.
    if (v1::PushAck ack; stream->Write(batch) && stream->Read(&ack)) outcome.ack = ack;
    stream->WritesDone();
    outcome.status = stream->Finish();
    return outcome;
  }

  static grpc::Status Plan(const std::shared_ptr<grpc::Channel>& channel, v1::SweepPlan& plan) {
    v1::GetSweepPlanRequest request;
    request.set_platform("box");
    request.set_sweep("quick");
    request.set_max_configs(3);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    return v1::ProfilerService::NewStub(channel)->GetSweepPlan(&context, request, &plan);
  }

  // The admin calls, for "box" unless told otherwise, changing what they say (no dry run).
  static grpc::Status Retire(const std::shared_ptr<grpc::Channel>& channel, v1::AdminChange& change,
                             const std::string& platform = "box") {
    v1::RetireMeasurementsRequest request;
    request.set_platform(platform);
    request.mutable_before()->set_seconds(4102444800);  // 2100-01-01: everything measured so far
    grpc::ClientContext context;
    return v1::AdminService::NewStub(channel)->RetireMeasurements(&context, request, &change);
  }
  static grpc::Status Remove(const std::shared_ptr<grpc::Channel>& channel, v1::AdminChange& change,
                             const std::string& platform = "box") {
    v1::RemovePlatformRequest request;
    request.set_platform(platform);
    grpc::ClientContext context;
    return v1::AdminService::NewStub(channel)->RemovePlatform(&context, request, &change);
  }
  static grpc::Status Purge(const std::shared_ptr<grpc::Channel>& channel, v1::AdminChange& change,
                            const std::string& platform = "box") {
    v1::PurgeRetiredRequest request;
    request.set_platform(platform);
    grpc::ClientContext context;
    return v1::AdminService::NewStub(channel)->PurgeRetired(&context, request, &change);
  }

  // The platform's summary in ListPlatforms, asked without a token; nullopt when it is not listed.
  std::optional<v1::PlatformSummary> Summary() const {
    v1::ListPlatformsResponse response;
    grpc::ClientContext context;
    const grpc::Status status =
        v1::LatencyService::NewStub(grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials()))
            ->ListPlatforms(&context, {}, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    for (const v1::PlatformSummary& summary : response.platforms()) {
      if (summary.platform().name() == "box") return summary;
    }
    return std::nullopt;
  }

  // What the server says it holds for "box", asked without a token: queries stay open.
  int64_t StoredMeasurements() const {
    v1::ListPlatformsResponse response;
    grpc::ClientContext context;
    const grpc::Status status =
        v1::LatencyService::NewStub(grpc::CreateChannel(Address(), grpc::InsecureChannelCredentials()))
            ->ListPlatforms(&context, {}, &response);
    EXPECT_TRUE(status.ok()) << "a query without a token was refused: " << status.error_message();
    for (const v1::PlatformSummary& summary : response.platforms()) {
      if (summary.platform().name() == "box") return summary.sample_count();
    }
    return -1;
  }
};

TEST_F(AgentTokenTest, WithTheTokenPushMeasurementsStoresAndGetSweepPlanAnswers) {
  const PushOutcome pushed = Push(Channel(kToken));
  ASSERT_TRUE(pushed.status.ok()) << pushed.status.error_message();
  ASSERT_TRUE(pushed.ack.has_value());
  EXPECT_EQ(pushed.ack->code(), 0) << pushed.ack->error();
  EXPECT_EQ(pushed.ack->stored(), 2);
  EXPECT_EQ(StoredMeasurements(), 2);

  v1::SweepPlan plan;
  const grpc::Status planned = Plan(Channel(kToken), plan);
  ASSERT_TRUE(planned.ok()) << planned.error_message();
  EXPECT_EQ(plan.configs_size(), 3);
}

// Each refused case runs on its own server: no token at all, a token that differs in one
// character, and a prefix of the token.
class WithoutTheAgentTokenTest : public AgentTokenTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(WithoutTheAgentTokenTest, PushMeasurementsIsUnauthenticatedAndStoresNothing) {
  const PushOutcome refused = Push(Channel(GetParam()));
  EXPECT_EQ(refused.status.error_code(), grpc::UNAUTHENTICATED) << refused.status.error_message();
  EXPECT_FALSE(refused.ack.has_value()) << "the server acknowledged a batch from an agent without the token";
  EXPECT_EQ(StoredMeasurements(), 0);

  // Not even the batch id was recorded: the same batch with the token is new, not a duplicate.
  const PushOutcome accepted = Push(Channel(kToken));
  ASSERT_TRUE(accepted.ack.has_value()) << accepted.status.error_message();
  EXPECT_FALSE(accepted.ack->duplicate());
  EXPECT_EQ(accepted.ack->stored(), 2);
}

TEST_P(WithoutTheAgentTokenTest, GetSweepPlanIsUnauthenticatedAndAnswersNoConfigs) {
  v1::SweepPlan plan;
  EXPECT_EQ(Plan(Channel(GetParam()), plan).error_code(), grpc::UNAUTHENTICATED);
  EXPECT_EQ(plan.configs_size(), 0);
  EXPECT_EQ(plan.ops_size(), 0);
}

TEST_F(AgentTokenTest, WithTheTokenAdminCallsChangeWhatTheySay) {
  ASSERT_EQ(Push(Channel(kToken)).ack->stored(), 2);
  v1::AdminChange change;
  EXPECT_EQ(Retire(Channel(kToken), change, "nowhere").error_code(), grpc::NOT_FOUND);
  ASSERT_TRUE(Retire(Channel(kToken), change).ok());
  EXPECT_EQ(change.retired(), 2);
  EXPECT_EQ(Summary()->retired_count(), 2);
  ASSERT_TRUE(Purge(Channel(kToken), change).ok());
  EXPECT_EQ(change.purged(), 2);
  ASSERT_TRUE(Remove(Channel(kToken), change).ok());
  EXPECT_TRUE(change.platform_removed());
  EXPECT_FALSE(Summary().has_value());
}

// Each admin call refused: nothing retired, removed or purged.
TEST_P(WithoutTheAgentTokenTest, RetireMeasurementsIsUnauthenticatedAndRetiresNothing) {
  ASSERT_EQ(Push(Channel(kToken)).ack->stored(), 2);
  v1::AdminChange change;
  EXPECT_EQ(Retire(Channel(GetParam()), change).error_code(), grpc::UNAUTHENTICATED);
  EXPECT_EQ(change.retired(), 0);
  EXPECT_EQ(StoredMeasurements(), 2);
  EXPECT_EQ(Summary()->retired_count(), 0);
}

TEST_P(WithoutTheAgentTokenTest, RemovePlatformIsUnauthenticatedAndRemovesNothing) {
  ASSERT_EQ(Push(Channel(kToken)).ack->stored(), 2);
  v1::AdminChange change;
  EXPECT_EQ(Remove(Channel(GetParam()), change).error_code(), grpc::UNAUTHENTICATED);
  EXPECT_FALSE(change.platform_removed());
  EXPECT_EQ(StoredMeasurements(), 2);
}

TEST_P(WithoutTheAgentTokenTest, PurgeRetiredIsUnauthenticatedAndPurgesNothing) {
  ASSERT_EQ(Push(Channel(kToken)).ack->stored(), 2);
  v1::AdminChange change;
  ASSERT_TRUE(Retire(Channel(kToken), change).ok());
  EXPECT_EQ(Purge(Channel(GetParam()), change).error_code(), grpc::UNAUTHENTICATED);
  EXPECT_EQ(Summary()->retired_count(), 2);
}

INSTANTIATE_TEST_SUITE_P(
    AgentTokenTest, WithoutTheAgentTokenTest, ::testing::Values("", "correct-horse-batterY", "correct-horse"),
    [](const ::testing::TestParamInfo<std::string>& info) {
      return std::string(info.index == 0 ? "NoToken" : info.index == 1 ? "WrongToken" : "TokenPrefix");
    });

}  // namespace
}  // namespace convlat::server
