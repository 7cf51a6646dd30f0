// The real server, in-process, on a loopback port with a SQLite file, called over real gRPC.
// Measurements come from the public NeuSight T4 dataset in ../shared/datasets.
#include <unistd.h>

#include <atomic>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "convlat/v1/latency.grpc.pb.h"
#include "convlat/v1/profiler.grpc.pb.h"
#include "absl/strings/match.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/credentials.h"
#include "model/layers/conv_spec.h"
#include "model/datasets/measurements_csv.h"
#include "model/datasets/neusight_dataset.h"
#include "model/layers/op_params.h"
#include "server/server_app.h"
#include "tests/support/http_get.h"

namespace convlat::server {
namespace {

using ::testing::HasSubstr;

const std::vector<v1::Measurement>* T4Measurements() {
  static const auto* measurements = [] {
    const std::string path = model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/../shared/datasets") +
                             "/neusight-conv3x3/Tesla_T4.csv";
    absl::StatusOr<model::NeuSightDataset> dataset = model::LoadNeuSightCsv(path);
    return dataset.ok() ? new std::vector<v1::Measurement>(std::move(dataset->measurements)) : nullptr;
  }();
  return measurements;
}

v1::ConvParams Conv(const char* spec) { return *model::ParseConvSpec(spec); }

class ServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    db_path_ = ::testing::TempDir() + "/services_test_" + std::to_string(getpid()) + "_" +
               std::to_string(counter++) + ".db";
    std::filesystem::remove(db_path_);
    StartServer();
  }
  void TearDown() override {
    app_.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db_path_ + suffix);
  }

  void StartServer() {
    ServerOptions options;
    options.listen = "127.0.0.1:0";
    options.db = db_path_;
    options.metrics_listen = "127.0.0.1:0";
    absl::StatusOr<std::unique_ptr<ServerApp>> app = ServerApp::Start(options);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(*app);
    channel_ = grpc::CreateChannel("127.0.0.1:" + std::to_string(app_->port()), grpc::InsecureChannelCredentials());
    profiler_ = v1::ProfilerService::NewStub(channel_);
    latency_ = v1::LatencyService::NewStub(channel_);
  }

  grpc::Status Register(const std::string& name) {
    v1::RegisterPlatformRequest request;
    request.mutable_platform()->set_name(name);
    request.mutable_platform()->set_kind(v1::PLATFORM_KIND_GPU);
    request.mutable_platform()->set_device_name("Tesla T4");
    request.mutable_platform()->set_compute_units(40);
    v1::RegisterPlatformResponse response;
    grpc::ClientContext context;
    return profiler_->RegisterPlatform(&context, request, &response);
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

  static v1::MeasurementBatch Batch(const std::string& id, const std::string& platform, size_t first, size_t count) {
    v1::MeasurementBatch batch;
    batch.set_batch_id(id);
    batch.set_platform(platform);
    for (size_t i = first; i < first + count; ++i) *batch.add_measurements() = (*T4Measurements())[i];
    return batch;
  }

  int64_t SampleCount(const std::string& platform) {
    v1::ListPlatformsResponse response;
    grpc::ClientContext context;
    EXPECT_TRUE(latency_->ListPlatforms(&context, {}, &response).ok());
    for (const auto& summary : response.platforms()) {
      if (summary.platform().name() == platform) return summary.sample_count();
    }
    return -1;
  }

  std::string db_path_;
  std::unique_ptr<ServerApp> app_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ProfilerService::Stub> profiler_;
  std::unique_ptr<v1::LatencyService::Stub> latency_;
};

constexpr char kNoDataset[] = "public dataset ../shared/datasets/neusight-conv3x3 not found";

TEST_F(ServicesTest, HealthCheckReportsServing) {
  grpc::GenericStub generic(channel_);
  grpc::ClientContext context;
  // HealthCheckRequest{service: ""} serialises to no bytes; the buffer still needs one slice.
  grpc::Slice no_bytes(std::string{});
  grpc::ByteBuffer empty_request(&no_bytes, 1), response;
  std::atomic<bool> done{false};
  grpc::Status status;
  generic.UnaryCall(&context, "/grpc.health.v1.Health/Check", {}, &empty_request, &response,
                    [&](grpc::Status s) { status = s; done = true; });
  while (!done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // HealthCheckResponse{status: SERVING}
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
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  EXPECT_THAT(bytes, HasSubstr("convlat.v1.LatencyService"));
  EXPECT_THAT(bytes, HasSubstr("convlat.v1.ProfilerService"));
  stream->WritesDone(reinterpret_cast<void*>(4));
  step(4);
  grpc::Status status;
  stream->Finish(&status, reinterpret_cast<void*>(5));
  step(5);
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(ServicesTest, RegisterKeepsFieldsTheUpdateLeavesUnset) {
  ASSERT_TRUE(Register("t4").ok());
  v1::RegisterPlatformRequest update;
  update.mutable_platform()->set_name("t4");
  update.mutable_platform()->set_driver_version("535.1");
  v1::RegisterPlatformResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(profiler_->RegisterPlatform(&context, update, &response).ok());
  EXPECT_FALSE(response.created());
  EXPECT_EQ(response.platform().device_name(), "Tesla T4");
  EXPECT_EQ(response.platform().compute_units(), 40);
  EXPECT_EQ(response.platform().driver_version(), "535.1");
}

TEST_F(ServicesTest, RegisterRejectsBadNames) {
  grpc::Status status = Register("bad name!");
  EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("platform.name"));
}

TEST_F(ServicesTest, EachBatchIsAckedAndStoredOnce) {
  if (T4Measurements() == nullptr) GTEST_SKIP() << kNoDataset;
  ASSERT_TRUE(Register("t4").ok());
  const std::vector<v1::PushAck> acks =
      Push({Batch("b1", "t4", 0, 10), Batch("b2", "t4", 10, 5), Batch("b1", "t4", 0, 10)});
  ASSERT_EQ(acks.size(), 3u);
  EXPECT_EQ(acks[0].batch_id(), "b1");
  EXPECT_EQ(acks[0].code(), 0);
  EXPECT_EQ(acks[0].stored(), 10);
  EXPECT_EQ(acks[1].stored(), 5);
  EXPECT_TRUE(acks[2].duplicate());
  EXPECT_EQ(acks[2].stored(), 0);
  EXPECT_EQ(SampleCount("t4"), 15);
}

TEST_F(ServicesTest, BadBatchIsRefusedInItsAckAndNothingStoredIsLost) {
  if (T4Measurements() == nullptr) GTEST_SKIP() << kNoDataset;
  ASSERT_TRUE(Register("t4").ok());
  v1::MeasurementBatch bad = Batch("bad", "t4", 20, 3);
  bad.mutable_measurements(1)->mutable_params()->set_k(0);
  const std::vector<v1::PushAck> acks =
      Push({Batch("good1", "t4", 0, 10), bad, Batch("good2", "t4", 10, 10), Batch("lost", "nowhere", 0, 1)});
  EXPECT_EQ(acks[1].code(), static_cast<int>(grpc::INVALID_ARGUMENT));
  EXPECT_THAT(acks[1].error(), HasSubstr("measurements[1].params.k must be > 0"));
  EXPECT_EQ(acks[2].code(), 0);
  EXPECT_EQ(acks[3].code(), static_cast<int>(grpc::NOT_FOUND));
  EXPECT_THAT(acks[3].error(), HasSubstr("nowhere"));
  EXPECT_EQ(SampleCount("t4"), 20);
}

TEST_F(ServicesTest, PredictsOnceTheModelIsFitted) {
  if (T4Measurements() == nullptr) GTEST_SKIP() << kNoDataset;
  ASSERT_TRUE(Register("t4").ok());
  Push({Batch("b1", "t4", 0, 300)});
  app_->models().WaitUntilIdle();

  v1::PredictRequest request;
  request.set_platform("t4");
  *request.add_layers() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  *request.add_layers() = Conv("n=8,c=256,h=14,w=14,k=256,r=3,s=3,pad=1");
  v1::PredictResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(latency_->Predict(&context, request, &response).ok());
  ASSERT_EQ(response.predictions_size(), 2);
  EXPECT_GT(response.predictions(0).latency_us(), 0);
  EXPECT_GT(response.predictions(1).latency_us(), response.predictions(0).latency_us());
  // The T4 records carry kernel names and grids: the two-mode model explains with them.
  EXPECT_EQ(response.predictions(0).explanation().model_kind(), "two-mode");
  EXPECT_GT(response.predictions(0).explanation().waves(), 0);
  EXPECT_GT(response.model_version(), 1'700'000'000'000);  // unix milliseconds of the fit

  v1::GetPlatformModelRequest model_request;
  model_request.set_platform("t4");
  v1::PlatformModel model;
  grpc::ClientContext model_context;
  ASSERT_TRUE(latency_->GetPlatformModel(&model_context, model_request, &model).ok());
  EXPECT_EQ(model.sample_count(), 300);
  EXPECT_GT(model.fit_mape(), 0);
  EXPECT_EQ(model.parameters().count("kernel_groups"), 1u);
}

TEST_F(ServicesTest, PredictErrorsNameTheProblem) {
  v1::PredictRequest request;
  request.set_platform("t4");
  v1::PredictResponse response;
  {
    grpc::ClientContext context;
    grpc::Status status = latency_->Predict(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("layers must not be empty"));
  }
  *request.add_layers() = Conv("n=1,c=8,h=8,w=8,k=8,r=3,s=3");
  *request.add_layers() = Conv("n=1,c=8,h=8,w=8,k=8,r=9,s=3");
  {
    grpc::ClientContext context;
    grpc::Status status = latency_->Predict(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("layers[1].r"));
  }
  request.mutable_layers()->RemoveLast();
  {
    grpc::ClientContext context;
    grpc::Status status = latency_->Predict(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::NOT_FOUND);
    EXPECT_THAT(status.error_message(), HasSubstr("t4"));
  }
  ASSERT_TRUE(Register("t4").ok());
  {
    grpc::ClientContext context;
    grpc::Status status = latency_->Predict(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::FAILED_PRECONDITION);
    EXPECT_THAT(status.error_message(), HasSubstr("has no model yet"));
  }
}

TEST_F(ServicesTest, SweepPlanListsUnmeasuredConfigs) {
  ASSERT_TRUE(Register("cpu").ok());
  v1::GetSweepPlanRequest request;
  request.set_platform("cpu");
  request.set_max_configs(7);
  v1::SweepPlan plan;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(profiler_->GetSweepPlan(&context, request, &plan).ok());
    EXPECT_EQ(plan.configs_size(), 7);
    EXPECT_EQ(plan.already_measured(), 0);
  }
  request.set_sweep("enormous");
  {
    grpc::ClientContext context;
    grpc::Status status = profiler_->GetSweepPlan(&context, request, &plan);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("sweep: unknown sweep 'enormous'"));
  }
  request.set_sweep("quick");
  request.set_platform("unknown");
  {
    grpc::ClientContext context;
    EXPECT_EQ(profiler_->GetSweepPlan(&context, request, &plan).error_code(), grpc::NOT_FOUND);
  }
}

TEST_F(ServicesTest, PredictNetworkFromLayerList) {
  if (T4Measurements() == nullptr) GTEST_SKIP() << kNoDataset;
  ASSERT_TRUE(Register("t4").ok());
  Push({Batch("b1", "t4", 0, 200)});
  app_->models().WaitUntilIdle();

  v1::PredictNetworkRequest request;
  request.set_platform("t4");
  request.set_batch(4);
  auto* first = request.mutable_layers()->add_layers();
  first->set_name("stem");
  *first->mutable_conv() = Conv("n=1,c=3,h=224,w=224,k=64,r=7,s=7,stride=2,pad=3");
  *request.mutable_layers()->add_layers()->mutable_conv() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  v1::PredictNetworkResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(latency_->PredictNetwork(&context, request, &response).ok());
  ASSERT_EQ(response.layers_size(), 2);
  EXPECT_EQ(response.layers(0).name(), "stem");
  EXPECT_EQ(response.layers(1).name(), "conv1");
  EXPECT_EQ(response.layers(0).shape(), "4x3x224x224 -> 4x64x112x112 7x7/2");
  EXPECT_NEAR(response.layers(0).share() + response.layers(1).share(), 1.0, 1e-9);
  EXPECT_NEAR(response.total_us(),
              response.layers(0).prediction().latency_us() + response.layers(1).prediction().latency_us(), 1e-6);

  v1::PredictNetworkRequest onnx;
  onnx.set_platform("t4");
  onnx.set_onnx_model("not really onnx");
  grpc::ClientContext onnx_context;
  const grpc::Status refused = latency_->PredictNetwork(&onnx_context, onnx, &response);
  EXPECT_EQ(refused.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("onnx_model: not an ONNX model"));
}

// A real network structure (torchvision's ResNet-18, weights stripped) through ONNX import and
// shape inference, every layer predicted in order.
TEST_F(ServicesTest, PredictNetworkFromOnnx) {
  if (T4Measurements() == nullptr) GTEST_SKIP() << kNoDataset;
  ASSERT_TRUE(Register("t4").ok());
  Push({Batch("b1", "t4", 0, 200)});
  app_->models().WaitUntilIdle();

  std::ifstream in(std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/resnet18.onnx", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  v1::PredictNetworkRequest request;
  request.set_platform("t4");
  request.set_onnx_model(bytes.str());
  (*request.mutable_input_shapes())["input"].add_dims(8);
  for (int d : {3, 224, 224}) (*request.mutable_input_shapes())["input"].add_dims(d);
  v1::PredictNetworkResponse response;
  grpc::ClientContext context;
  const grpc::Status status = latency_->PredictNetwork(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  int convs = 0;
  double total = 0;
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    if (layer.prediction().explanation().model_kind() == "two-mode") {
      ++convs;
      EXPECT_GT(layer.prediction().latency_us(), 0) << layer.name();
      EXPECT_GT(layer.prediction().explanation().ctas(), 0) << layer.name();
    }
    total += layer.prediction().latency_us();
  }
  EXPECT_EQ(convs, 21);
  EXPECT_EQ(response.layers(0).op(), "Conv+Relu");
  EXPECT_THAT(response.layers(0).shape(), HasSubstr("8x3x224x224"));
  // The public T4 data declares no memory bandwidth: pooling, additions and the like are listed,
  // not guessed.
  EXPECT_EQ(response.unmodelled_layers(), response.layers_size() - 21);
  EXPECT_NEAR(response.total_us(), total, 1e-6 * total);

  request.set_onnx_model(bytes.str().substr(0, 5000));
  grpc::ClientContext truncated_context;
  EXPECT_EQ(latency_->PredictNetwork(&truncated_context, request, &response).error_code(), grpc::INVALID_ARGUMENT);
  (*request.mutable_input_shapes())["input"].set_dims(0, 0);
  request.set_onnx_model(bytes.str());
  grpc::ClientContext zero_context;
  const grpc::Status zero = latency_->PredictNetwork(&zero_context, request, &response);
  EXPECT_EQ(zero.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(zero.error_message(), HasSubstr("input_shapes[input]"));

  // The batch API: several candidate networks in one call; a bad one gets its own error.
  v1::PredictNetworksRequest many;
  for (int batch : {1, 4}) {
    v1::PredictNetworkRequest* network = many.add_networks();
    network->set_platform("t4");
    network->set_onnx_model(bytes.str());
    network->set_batch(batch);
  }
  many.add_networks()->set_platform("t4");  // neither ONNX nor layers
  v1::PredictNetworksResponse answers;
  grpc::ClientContext many_context;
  ASSERT_TRUE(latency_->PredictNetworks(&many_context, many, &answers).ok());
  ASSERT_EQ(answers.results_size(), 3);
  EXPECT_EQ(answers.results(0).error_code(), 0);
  EXPECT_EQ(answers.results(1).error_code(), 0);
  EXPECT_GT(answers.results(1).response().total_us(), answers.results(0).response().total_us());
  EXPECT_EQ(answers.results(2).error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(answers.results(2).error_message(), HasSubstr("networks[2].network: set onnx_model or layers"));
}

// This repository's real CPU measurements (data/measurements/cpu-epyc-2core/): convolutions and
// the other ops, as the agent recorded them.
std::vector<v1::Measurement> CpuMeasurements(const std::string& file) {
  const std::string path = std::string(CONVLAT_SOURCE_DIR) + "/data/measurements/cpu-epyc-2core/" + file;
  std::ifstream in(path);
  absl::StatusOr<std::vector<v1::Measurement>> rows = model::ParseMeasurementsCsv(in, path, "test");
  EXPECT_TRUE(rows.ok()) << rows.status();
  return rows.ok() ? *rows : std::vector<v1::Measurement>{};
}

TEST_F(ServicesTest, OtherOpsGetAModelOfTheirOwnAndWholeNetworksCountThem) {
  ASSERT_TRUE(Register("cpu").ok());
  const std::vector<v1::Measurement> convs = CpuMeasurements("staircase.csv");
  std::vector<v1::Measurement> ops;
  for (v1::Measurement& m : CpuMeasurements("default-sweep.csv")) {
    if (m.has_op()) ops.push_back(std::move(m));
  }
  ASSERT_GT(ops.size(), 600u);
  std::vector<v1::MeasurementBatch> batches(2);
  for (int i = 0; i < 2; ++i) {
    batches[i].set_batch_id(i == 0 ? "convs" : "ops");
    batches[i].set_platform("cpu");
    for (const v1::Measurement& m : i == 0 ? convs : ops) *batches[i].add_measurements() = m;
  }
  const std::vector<v1::PushAck> acks = Push(batches);
  ASSERT_EQ(acks[1].code(), 0) << acks[1].error();
  EXPECT_EQ(acks[1].stored(), static_cast<int>(ops.size()));
  app_->models().WaitUntilIdle();

  v1::GetPlatformModelRequest model_request;
  model_request.set_platform("cpu");
  v1::PlatformModel model;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(latency_->GetPlatformModel(&context, model_request, &model).ok());
  }
  EXPECT_EQ(model.sample_count(), static_cast<int64_t>(convs.size()));  // the conv model ignores ops
  EXPECT_EQ(model.op_sample_count(), static_cast<int64_t>(ops.size()));
  EXPECT_EQ(model.measurements_seen(), static_cast<int64_t>(convs.size() + ops.size()));
  EXPECT_GT(model.op_fit_mape(), 0);
  EXPECT_LT(model.op_fit_mape(), 50);
  EXPECT_GT(model.parameters().at("op.max_pool@nchw.bandwidth_gbps"), 0);
  EXPECT_TRUE(model.parameters().contains("op.activation:sigmoid@nchw.fixed_us"));

  // ResNet-18: every layer predicted, none left out of the total.
  std::ifstream in(std::string(CONVLAT_SOURCE_DIR) + "/tests/fixtures/onnx/resnet18.onnx", std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  v1::PredictNetworkRequest request;
  request.set_platform("cpu");
  request.set_onnx_model(bytes.str());
  request.set_batch(1);
  v1::PredictNetworkResponse response;
  {
    grpc::ClientContext context;
    const grpc::Status status = latency_->PredictNetwork(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
  EXPECT_EQ(response.unmodelled_layers(), 0);
  std::map<std::string, std::string> kind_of_op;
  double ops_us = 0, all_us = 0;
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    kind_of_op[layer.op()] = layer.prediction().explanation().model_kind();
    EXPECT_GT(layer.prediction().latency_us(), 0) << layer.name();
    if (!absl::StartsWith(layer.op(), "Conv") && layer.op() != "Gemm") ops_us += layer.prediction().latency_us();
    all_us += layer.prediction().latency_us();
  }
  EXPECT_EQ(kind_of_op["MaxPool"], "op-roofline (max_pool@nchw)");
  EXPECT_EQ(kind_of_op["Add"], "op-roofline (binary:add@nchw)");
  EXPECT_EQ(kind_of_op["Relu"], "op-roofline (activation:relu@nchw)");
  EXPECT_EQ(kind_of_op["GlobalAveragePool"], "op-roofline (avg_pool@nchw)");
  EXPECT_GT(ops_us, 0);
  EXPECT_NEAR(response.total_us(), all_us, 1e-9 * all_us);  // the ops are in the total

  // Every layer in another layout, for runtimes that keep activations in the library's own.
  request.set_layout(v1::LAYOUT_NATIVE);
  {
    grpc::ClientContext context;
    EXPECT_TRUE(latency_->PredictNetwork(&context, request, &response).ok());
  }
  request.set_layout(static_cast<v1::Layout>(42));
  {
    grpc::ClientContext context;
    const grpc::Status status = latency_->PredictNetwork(&context, request, &response);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("layout is not a known layout: 42"));
  }

  // An explicit layer list may hold ops too; a bad one is refused naming its field.
  v1::PredictNetworkRequest list;
  list.set_platform("cpu");
  *list.mutable_layers()->add_layers()->mutable_conv() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  v1::LayerList::Layer* pool = list.mutable_layers()->add_layers();
  *pool->mutable_op() = *model::ParseOpSpec("op=max_pool,n=1,c=64,h=56,w=56,kernel=2,stride=2");
  {
    grpc::ClientContext context;
    ASSERT_TRUE(latency_->PredictNetwork(&context, list, &response).ok());
    ASSERT_EQ(response.layers_size(), 2);
    EXPECT_EQ(response.layers(1).op(), "max_pool");
    EXPECT_EQ(response.layers(1).name(), "max_pool1");
    EXPECT_EQ(response.layers(1).prediction().explanation().model_kind(), "op-roofline (max_pool@nchw)");
  }
  pool->mutable_op()->set_kernel_h(0);
  {
    grpc::ClientContext context;
    const grpc::Status status = latency_->PredictNetwork(&context, list, &response);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("layers.layers[1].op.kernel_h and kernel_w are required"));
  }
  *pool->mutable_conv() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
  {
    grpc::ClientContext context;
    EXPECT_THAT(latency_->PredictNetwork(&context, list, &response).error_message(),
                HasSubstr("layers.layers[1] must set exactly one of conv and op"));
  }

  // A bad op measurement is refused in its ack, naming the field; nothing stored is lost.
  v1::MeasurementBatch bad;
  bad.set_batch_id("bad-op");
  bad.set_platform("cpu");
  v1::Measurement* m = bad.add_measurements();
  *m = ops[0];
  m->mutable_op()->set_c(0);
  v1::Measurement* both = bad.add_measurements();
  *both = ops[1];
  *both->mutable_params() = Conv("n=1,c=8,h=8,w=8,k=8,r=1,s=1");
  const std::vector<v1::PushAck> refused = Push({bad});
  EXPECT_EQ(refused[0].code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(refused[0].error(), HasSubstr("measurements[0].op.c must be > 0"));
  bad.mutable_measurements()->DeleteSubrange(0, 1);
  EXPECT_THAT(Push({bad})[0].error(), HasSubstr("measurements[0].params must be unset when op is set"));
  EXPECT_EQ(SampleCount("cpu"), static_cast<int64_t>(convs.size() + ops.size()));

  // The sweep plan leaves out the ops already measured.
  v1::GetSweepPlanRequest plan_request;
  plan_request.set_platform("cpu");
  *plan_request.add_op_candidates() = ops[0].op();
  *plan_request.add_op_candidates() = *model::ParseOpSpec("op=softmax,n=3,c=7,h=1,w=1");
  v1::SweepPlan plan;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(profiler_->GetSweepPlan(&context, plan_request, &plan).ok());
  }
  EXPECT_EQ(plan.configs_size(), 0);
  ASSERT_EQ(plan.ops_size(), 1);
  EXPECT_EQ(plan.ops(0).c(), 7);
  plan_request.mutable_op_candidates(1)->set_kind(v1::OP_KIND_UNSPECIFIED);
  {
    grpc::ClientContext context;
    const grpc::Status status = profiler_->GetSweepPlan(&context, plan_request, &plan);
    EXPECT_EQ(status.error_code(), grpc::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("op_candidates[1].kind must be a known op kind"));
  }
}

TEST_F(ServicesTest, MetricsEndpointCountsRequests) {
  ASSERT_TRUE(Register("t4").ok());
  const std::string metrics = testing::HttpGet(app_->metrics_port(), "/metrics");
  EXPECT_THAT(metrics, HasSubstr("convlat_requests_total{code=\"OK\",method=\"RegisterPlatform\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("convlat_request_duration_seconds_bucket"));
}

TEST_F(ServicesTest, MeasurementsAndModelsSurviveARestart) {
  if (T4Measurements() == nullptr) GTEST_SKIP() << kNoDataset;
  ASSERT_TRUE(Register("t4").ok());
  Push({Batch("b1", "t4", 0, 100)});
  app_->models().WaitUntilIdle();
  v1::GetPlatformModelRequest request;
  request.set_platform("t4");
  v1::PlatformModel before;
  grpc::ClientContext before_context;
  ASSERT_TRUE(latency_->GetPlatformModel(&before_context, request, &before).ok());
  app_.reset();
  StartServer();
  app_->models().WaitUntilIdle();
  EXPECT_EQ(SampleCount("t4"), 100);
  v1::PlatformModel model;
  grpc::ClientContext context;
  ASSERT_TRUE(latency_->GetPlatformModel(&context, request, &model).ok());
  EXPECT_EQ(model.sample_count(), 100);
  EXPECT_GT(model.version(), before.version()) << "model versions keep increasing across restarts";
}

}  // namespace
}  // namespace convlat::server
