// The real server, in-process, on a loopback port with a SQLite file, called over real gRPC: the
// wiring. Each RPC is reachable, answers travel and so do error codes and messages; what the
// answers hold is tested on the core functions (network_query_test.cc, sweep_planning_test.cc,
// platform_query_test.cc, measurement_ingest_test.cc). Measurements are this repository's CPU's.
#include <atomic>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/status_bridge.h"
#include "convlat/v1/latency.grpc.pb.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "server/server_app.h"
#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"
#include "tests/support/http_get.h"

namespace convlat::server {
namespace {

using testing::Batch;
using testing::Conv;
using ::testing::HasSubstr;
using Latency = v1::LatencyService::Stub;
using Profiler = v1::ProfilerService::Stub;

// The bytes of a message gRPC received, for the services whose protos are not at hand.
std::string Bytes(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  return bytes;
}

class ServicesTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(); }
  void TearDown() override { app_.reset(); }

  void StartServer() {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.db = db_.path();
    options.metrics_listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<ServerApp>> app = ServerApp::Start(options);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(*app);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->port()), grpc::InsecureChannelCredentials());
    profiler_ = v1::ProfilerService::NewStub(channel_);
    latency_ = v1::LatencyService::NewStub(channel_);
  }

  // One unary call on a fresh context: Call(*latency_, &Latency::Predict, request, response).
  template <typename Stub, typename Request, typename Response>
  static grpc::Status Call(Stub& stub, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                           const Request& request, Response& response) {
    grpc::ClientContext context;
    return (stub.*method)(&context, request, &response);
  }

  grpc::Status GetModel(const std::string& platform, v1::PlatformModel& model) {
    v1::GetPlatformModelRequest request;
    request.set_platform(platform);
    return Call(*latency_, &Latency::GetPlatformModel, request, model);
  }

  grpc::Status Register(const std::string& name) {
    v1::RegisterPlatformRequest request;
    *request.mutable_platform() = testing::T4Platform(name);
    v1::RegisterPlatformResponse response;
    return Call(*profiler_, &Profiler::RegisterPlatform, request, response);
  }

  // Pushes the batches in one stream; returns one ack per batch.
  std::vector<v1::PushAck> Push(const std::vector<v1::MeasurementBatch>& batches) {
    grpc::ClientContext context;
    auto stream = profiler_->PushMeasurements(&context);
    std::vector<v1::PushAck> acks;
    for (const v1::MeasurementBatch& batch : batches) {
      EXPECT_TRUE(stream->Write(batch));
      v1::PushAck ack;
      EXPECT_TRUE(stream->Read(&ack));
      acks.push_back(ack);
    }
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
    return acks;
  }

  // "cpu" registered, its first `count` convolutions pushed, and its model fitted.
  void PushAndFit(size_t count) {
    ASSERT_TRUE(Register("cpu").ok());
    ASSERT_EQ(Push({Batch("fit", "cpu", convs_, 0, count)})[0].code(), 0);
    app_->models().WaitUntilIdle();
  }

  int64_t SampleCount(const std::string& platform) {
    v1::ListPlatformsResponse response;
    EXPECT_TRUE(Call(*latency_, &Latency::ListPlatforms, {}, response).ok());
    for (const auto& summary : response.platforms()) {
      if (summary.platform().name() == platform) return summary.sample_count();
    }
    return -1;
  }

  const std::vector<v1::Measurement> convs_ = testing::CpuMeasurements("staircase.csv");
  testing::TempDb db_{"services_test"};
  std::unique_ptr<ServerApp> app_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ProfilerService::Stub> profiler_;
  std::unique_ptr<v1::LatencyService::Stub> latency_;
};

TEST_F(ServicesTest, HealthCheckReportsServing) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  // HealthCheckRequest{service: ""} serialises to no bytes; the buffer still needs one slice.
  grpc::Slice no_bytes(std::string{});
  grpc::ByteBuffer empty_request(&no_bytes, 1), response;
  std::atomic<bool> done{false};
  grpc::Status status;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", {}, &empty_request, &response, [&](grpc::Status s) {
    status = s;
    done = true;
  });
  while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Bytes(response), std::string("\x08\x01", 2));  // HealthCheckResponse{status: SERVING}
}

// Server reflection (grpcurl and friends) lists convlat's services. The reflection protos are not
// shipped by Debian, so the stream is spoken in bytes: ServerReflectionRequest{list_services: "*"}.
TEST_F(ServicesTest, ReflectionListsTheServices) {
  grpc::GenericStub generic(channel_);
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  auto stream = generic.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &queue);
  void* tag = nullptr;
  bool ok = false;
  auto step = [&](int expected) {
    EXPECT_TRUE(queue.Next(&tag, &ok));
    EXPECT_EQ(tag, reinterpret_cast<void*>(expected));
    return ok;
  };
  stream->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(step(1));
  grpc::Slice request(std::string("\x3a\x01*", 3));  // field 7 (list_services), length 1, "*"
  grpc::ByteBuffer request_buffer(&request, 1);
  stream->Write(request_buffer, reinterpret_cast<void*>(2));
  ASSERT_TRUE(step(2));
  grpc::ByteBuffer response;
  stream->Read(&response, reinterpret_cast<void*>(3));
  ASSERT_TRUE(step(3));
  const std::string bytes = Bytes(response);
  EXPECT_THAT(bytes, HasSubstr("convlat.v1.LatencyService"));
  EXPECT_THAT(bytes, HasSubstr("convlat.v1.ProfilerService"));
  stream->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  stream->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServicesTest, RegisterRejectsBadNames) {
  grpc::Status status = Register("bad name!");
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("platform.name"));
}

// One ack per batch, in order, over one stream; a bad batch does not end it.
TEST_F(ServicesTest, EachBatchIsAckedOnTheStream) {
  ASSERT_TRUE(Register("cpu").ok());
  v1::MeasurementBatch bad = Batch("bad", "cpu", convs_, 20, 3);
  bad.mutable_measurements(1)->mutable_params()->set_k(0);
  const std::vector<v1::PushAck> acks =
      Push({Batch("b1", "cpu", convs_, 0, 10), bad, Batch("b2", "cpu", convs_, 10, 5),
            Batch("b1", "cpu", convs_, 0, 10), Batch("lost", "nowhere", convs_, 0, 1)});
  ASSERT_EQ(acks.size(), 5u);
  EXPECT_EQ(acks[0].batch_id(), "b1");
  EXPECT_EQ(acks[0].code(), 0);
  EXPECT_EQ(acks[0].stored(), 10);
  EXPECT_EQ(acks[1].code(), static_cast<int>(grpc::INVALID_ARGUMENT));
  EXPECT_THAT(acks[1].error(), HasSubstr("measurements[1].params.k must be > 0"));
  EXPECT_EQ(acks[2].stored(), 5);
  EXPECT_TRUE(acks[3].duplicate());
  EXPECT_EQ(acks[3].stored(), 0);
  EXPECT_EQ(acks[4].code(), static_cast<int>(grpc::NOT_FOUND));
  EXPECT_THAT(acks[4].error(), HasSubstr("nowhere"));
  EXPECT_EQ(SampleCount("cpu"), 15);
}

TEST_F(ServicesTest, PredictErrorsTravelWithTheirCodes) {
  v1::PredictRequest request;
  request.set_platform("t4");
  v1::PredictResponse response;
  grpc::Status status = Call(*latency_, &Latency::Predict, request, response);
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("layers must not be empty"));
  *request.add_layers() = Conv("n=1,c=8,h=8,w=8,k=8,r=3,s=3");
  status = Call(*latency_, &Latency::Predict, request, response);
  EXPECT_EQ(status.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("t4"));
  ASSERT_TRUE(Register("t4").ok());
  status = Call(*latency_, &Latency::Predict, request, response);
  EXPECT_EQ(status.error_code(), grpc::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("has no model yet"));
  v1::PlatformModel model;
  EXPECT_EQ(GetModel("t4", model).error_code(), grpc::FAILED_PRECONDITION);
}

TEST_F(ServicesTest, SweepPlanAnswersAndRefusals) {
  ASSERT_TRUE(Register("cpu").ok());
  v1::GetSweepPlanRequest request;
  request.set_platform("cpu");
  request.set_max_configs(7);
  v1::SweepPlan plan;
  ASSERT_TRUE(Call(*profiler_, &Profiler::GetSweepPlan, request, plan).ok());
  EXPECT_EQ(plan.configs_size(), 7);
  EXPECT_EQ(plan.already_measured(), 0);
  request.set_sweep("enormous");
  const grpc::Status status = Call(*profiler_, &Profiler::GetSweepPlan, request, plan);
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("sweep: unknown sweep 'enormous'"));
  request.set_sweep("quick");
  request.set_platform("unknown");
  EXPECT_EQ(Call(*profiler_, &Profiler::GetSweepPlan, request, plan).error_code(), grpc::NOT_FOUND);
}

// One fitted model answers every prediction RPC.
TEST_F(ServicesTest, PredictionsAnswerAndRefuse) {
  ASSERT_NO_FATAL_FAILURE(PushAndFit(300));
  v1::PredictRequest request;
  request.set_platform("cpu");
  *request.add_layers() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  *request.add_layers() = Conv("n=8,c=256,h=14,w=14,k=256,r=3,s=3,pad=1");
  v1::PredictResponse response;
  ASSERT_TRUE(Call(*latency_, &Latency::Predict, request, response).ok());
  ASSERT_EQ(response.predictions_size(), 2);
  EXPECT_GT(response.predictions(0).latency_us(), 0);
  EXPECT_GT(response.model_version(), 1'700'000'000'000);  // unix milliseconds of the fit

  v1::PlatformModel model;
  ASSERT_TRUE(GetModel("cpu", model).ok());
  EXPECT_EQ(model.sample_count(), 300);
  EXPECT_EQ(model.version(), response.model_version());

  v1::PredictNetworkRequest network;
  network.set_platform("cpu");
  *network.mutable_layers()->add_layers()->mutable_conv() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  v1::PredictNetworkResponse network_response;
  ASSERT_TRUE(Call(*latency_, &Latency::PredictNetwork, network, network_response).ok());
  ASSERT_EQ(network_response.layers_size(), 1);
  EXPECT_GT(network_response.total_us(), 0);

  v1::PredictNetworkRequest onnx;
  onnx.set_platform("cpu");
  onnx.set_onnx_model("not really onnx");
  grpc::Status refused = Call(*latency_, &Latency::PredictNetwork, onnx, network_response);
  EXPECT_EQ(refused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("onnx_model: not an ONNX model"));
  // Messages are capped on their way out, however much of the request they quote.
  (*onnx.mutable_input_shapes())[std::string(5000, 'x')].add_dims(0);
  refused = Call(*latency_, &Latency::PredictNetwork, onnx, network_response);
  EXPECT_EQ(refused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_LE(refused.error_message().size(), kMaxStatusMessageBytes);
  EXPECT_THAT(refused.error_message(), HasSubstr("bytes)"));

  v1::PredictNetworksRequest many;
  *many.add_networks() = network;
  many.add_networks()->set_platform("cpu");  // neither ONNX nor layers
  v1::PredictNetworksResponse answers;
  ASSERT_TRUE(Call(*latency_, &Latency::PredictNetworks, many, answers).ok());
  ASSERT_EQ(answers.results_size(), 2);
  EXPECT_EQ(answers.results(0).error_code(), 0);
  EXPECT_EQ(answers.results(0).response().layers_size(), 1);
  EXPECT_EQ(answers.results(1).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_EQ(answers.results(1).error_message(), "networks[1].network: set onnx_model or layers");
}

TEST_F(ServicesTest, MetricsEndpointCountsRequests) {
  ASSERT_TRUE(Register("t4").ok());
  const std::string metrics = testing::HttpGet(app_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("convlat_requests_total{code=\"OK\",method=\"RegisterPlatform\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("convlat_request_duration_seconds_bucket"));
}

TEST_F(ServicesTest, MeasurementsAndModelsSurviveARestart) {
  ASSERT_NO_FATAL_FAILURE(PushAndFit(100));
  v1::PlatformModel before;
  ASSERT_TRUE(GetModel("cpu", before).ok());
  app_.reset();
  StartServer();
  app_->models().WaitUntilIdle();
  EXPECT_EQ(SampleCount("cpu"), 100);
  v1::PlatformModel model;
  ASSERT_TRUE(GetModel("cpu", model).ok());
  EXPECT_EQ(model.sample_count(), 100);
  EXPECT_GT(model.version(), before.version()) << "model versions keep increasing across restarts";
}

}  // namespace
}  // namespace convlat::server
