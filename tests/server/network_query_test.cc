// PredictNetwork and PredictNetworks as core functions: protos in, absl::Status out, no channel.
// A real SQLite store in a temporary directory and models fitted on real measurements: this
// repository's CPU (convolutions and other ops) and, where the dataset is present, the T4.
#include "server/network_query.h"

#include <functional>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "prometheus/text_serializer.h"
#include "server/platform_registration.h"
#include "server/request_validation.h"
#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"
#include "tests/support/onnx_graph_builder.h"

namespace convlat::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class NetworkQueryTest : public ServerCoreTest {
 protected:
  // A conv and a max pool, the way a NAS controller lists a candidate.
  static v1::PredictNetworkRequest ListedNetwork() {
    v1::PredictNetworkRequest request;
    request.set_platform("cpu");
    *request.mutable_layers()->add_layers()->mutable_conv() = Conv("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1");
    *request.mutable_layers()->add_layers()->mutable_op() = Op("op=max_pool,n=1,c=64,h=56,w=56,kernel=2,stride=2");
    return request;
  }

  static v1::PredictNetworkRequest OnnxNetwork(const std::string& platform, int batch) {
    v1::PredictNetworkRequest request;
    request.set_platform(platform);
    request.set_onnx_model(ResNet18Onnx());
    request.set_batch(batch);
    return request;
  }

  absl::Status Answer(const v1::PredictNetworkRequest& request, v1::PredictNetworkResponse& response,
                      absl::string_view path = "") {
    return server::AnswerNetwork(core(), request, path, response);
  }
};

// A layout asked for that the platform never measured is answered from the layouts it did, and
// the answer says so; a measured one adds no note.
TEST_F(NetworkQueryTest, ALayoutThePlatformNeverMeasuredIsNoted) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  v1::PredictNetworkRequest request = ListedNetwork();
  request.set_layout(v1::LAYOUT_NHWC);
  v1::PredictNetworkResponse response;
  ASSERT_TRUE(Answer(request, response).ok());
  EXPECT_THAT(response.notes(),
              ::testing::Contains(StartsWith("layout nhwc: this platform measured its convolutions in nchw only")));

  request.set_layout(v1::LAYOUT_NCHW);
  response.Clear();
  ASSERT_TRUE(Answer(request, response).ok());
  EXPECT_THAT(response.notes(), ::testing::Each(::testing::Not(StartsWith("layout "))));
}

TEST_F(NetworkQueryTest, ListedLayersAreNamedShapedAndShareTheTotal) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  v1::PredictNetworkRequest request = ListedNetwork();
  request.set_batch(4);
  v1::LayerList::Layer* stem = request.mutable_layers()->mutable_layers(0);
  stem->set_name("stem");
  *stem->mutable_conv() = Conv("n=1,c=3,h=224,w=224,k=64,r=7,s=7,stride=2,pad=3");
  v1::PredictNetworkResponse response;
  ASSERT_TRUE(Answer(request, response).ok());
  ASSERT_EQ(response.layers_size(), 2);
  EXPECT_EQ(response.layers(0).name(), "stem");
  EXPECT_EQ(response.layers(0).op(), "Conv");
  EXPECT_EQ(response.layers(0).shape(), "4x3x224x224 -> 4x64x112x112 7x7/2");
  EXPECT_EQ(response.layers(1).name(), "max_pool1");  // unnamed layers: op and index
  EXPECT_EQ(response.layers(1).op(), "max_pool");
  EXPECT_EQ(response.layers(1).shape(), "4x64x56x56");
  EXPECT_EQ(response.layers(1).prediction().explanation().model_kind(), "op-roofline (max_pool@nchw)");
  EXPECT_NEAR(response.layers(0).share() + response.layers(1).share(), 1.0, 1e-9);
  EXPECT_NEAR(response.total_us(),
              response.layers(0).prediction().latency_us() + response.layers(1).prediction().latency_us(), 1e-6);
  EXPECT_EQ(response.model_version(), models_->Get("cpu")->info.version());
  // The core counts what it predicted; the handler only times the call.
  EXPECT_THAT(prometheus::TextSerializer().Serialize(metrics_.registry()->Collect()),
              HasSubstr("convlat_predictions_total{platform=\"cpu\"} 2"));

  stem->clear_name();
  response.Clear();
  ASSERT_TRUE(Answer(request, response).ok());
  EXPECT_EQ(response.layers(0).name(), "conv0");
}

// ResNet-18 through ONNX import and shape inference: with an op model, every layer is predicted
// and counted in the total, in the default layout or another one.
TEST_F(NetworkQueryTest, OnnxNetworkOnTheCpuHasEveryLayerInTheTotal) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  v1::PredictNetworkRequest request = OnnxNetwork("cpu", 1);
  v1::PredictNetworkResponse response;
  const absl::Status status = Answer(request, response);
  ASSERT_TRUE(status.ok()) << status;
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
  EXPECT_NEAR(response.total_us(), all_us, 1e-9 * all_us);

  // Every layer in another layout, for runtimes that keep activations in the library's own.
  request.set_layout(v1::LAYOUT_NATIVE);
  response.Clear();
  EXPECT_TRUE(Answer(request, response).ok());
}

// The fixtures are exported with a dynamic batch, as users export: left open, it is 1, and said so.
TEST_F(NetworkQueryTest, ADynamicBatchIsAnsweredAtOneWithANote) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  v1::PredictNetworkResponse response;
  const absl::Status status = Answer(OnnxNetwork("cpu", 0), response);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(response.layers(0).shape(), StartsWith("1x3x224x224"));
  ASSERT_EQ(response.notes_size(), 1);
  EXPECT_THAT(response.notes(0), HasSubstr("input 'input' has a dynamic batch dimension"));

  response.Clear();
  ASSERT_TRUE(Answer(OnnxNetwork("cpu", 8), response).ok());
  EXPECT_THAT(response.layers(0).shape(), StartsWith("8x3x224x224"));
  EXPECT_EQ(response.notes_size(), 0);
}

// A batch is what is answered, for a static export too; when the graph cannot take it, the error
// says so and names the batch.
TEST_F(NetworkQueryTest, BatchReBatchesAStaticExportOrSaysWhyItCannot) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  testing::GraphBuilder conv;  // exported at batch 1, no dynamic axes
  conv.Input("x", {1, 8, 16, 16}).Weight("w", {8, 8, 3, 3}).Output("y");
  conv.Node("Conv", {"x", "w"}, "y");
  v1::PredictNetworkRequest request = OnnxNetwork("cpu", 4);
  request.set_onnx_model(conv.Bytes());
  v1::PredictNetworkResponse response;
  absl::Status status = Answer(request, response);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_THAT(response.layers(0).shape(), StartsWith("4x8x16x16"));

  // x.view(1, -1) baked in by the export: batch 4 no longer fits the classifier.
  testing::GraphBuilder view;
  view.Input("x", {1, 8, 4, 4}).Ints("target", {1, -1}).Weight("m", {128, 10}).Output("logits");
  view.Node("Reshape", {"x", "target"}, "flat");
  view.Node("MatMul", {"flat", "m"}, "logits");
  request.set_onnx_model(view.Bytes());
  response.Clear();
  status = Answer(request, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("batch: 4 does not fit this network, whose shapes are fixed at the batch it was "
                         "exported at: shape inference failed"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("node name: logits_node"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("dynamic_axes"));
  request.set_batch(0);
  response.Clear();
  status = Answer(request, response);
  EXPECT_TRUE(status.ok()) << "at its own batch: " << status;

  // x.reshape(1, 8, 16) baked in (ViT's patch flattening): shape inference passes it, the importer
  // does not.
  testing::GraphBuilder fixed;
  fixed.Input("x", {1, 8, 4, 4}).Ints("target", {1, 8, 16}).Output("tokens");
  fixed.Node("Reshape", {"x", "target"}, "flat");
  fixed.Node("Transpose", {"flat"}, "tokens");
  request = OnnxNetwork("cpu", 4);
  request.set_onnx_model(fixed.Bytes());
  response.Clear();
  status = Answer(request, response);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("batch: 4 does not fit this network, whose shapes are fixed at the batch it was "
                         "exported at: node 'flat_node' (Reshape): reshapes 4x8x4x4 (512 elements) into 1x8x16"));
  EXPECT_EQ(response.layers_size(), 0);

  // Past what the libraries index: the batch is named, not an internal field.
  request = OnnxNetwork("cpu", 100000);
  status = Answer(request, response, "networks[3]");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              StartsWith("networks[3].batch: 100000 is too large for this network: node "));
}

// The T4's records carry kernel names and grids: its convolutions get the two-mode model. Its
// agents timed no other op, so pooling, additions and the like are estimated from the T4's published
// peaks (spec-roofline) after the fixed cost its measured convolutions show, and the answer says how
// much of the total rests on that.
TEST_F(NetworkQueryTest, OnnxNetworkOnTheT4EstimatesTheOpsItNeverMeasuredFromItsSpec) {
  ASSERT_NO_FATAL_FAILURE(FitT4(200));
  v1::PredictNetworkRequest request = OnnxNetwork("t4", 0);
  (*request.mutable_input_shapes())["input"].add_dims(8);
  for (int d : {3, 224, 224}) (*request.mutable_input_shapes())["input"].add_dims(d);
  v1::PredictNetworkResponse response;
  const absl::Status status = Answer(request, response);
  ASSERT_TRUE(status.ok()) << status;
  const double launch_floor_us = models_->Get("t4")->device.launch_floor_us;
  EXPECT_GT(launch_floor_us, 0);
  int convs = 0, estimated = 0;
  double total = 0, convs_us = 0;
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    const v1::Explanation& why = layer.prediction().explanation();
    if (why.model_kind() == "two-mode") {
      ++convs;
      convs_us += layer.prediction().latency_us();
      EXPECT_GT(layer.prediction().latency_us(), 0) << layer.name();
      EXPECT_GT(why.ctas(), 0) << layer.name();
    } else {
      EXPECT_EQ(why.model_kind(), "spec-roofline") << layer.name();
      // The floor, plus the layer's bytes at the T4's 320 GB/s at least.
      EXPECT_GE(layer.prediction().latency_us(), launch_floor_us + why.bytes() / 320e3 - 1e-9) << layer.name();
      ++estimated;
    }
    total += layer.prediction().latency_us();
  }
  EXPECT_EQ(convs, 21);
  EXPECT_EQ(response.layers(0).op(), "Conv+Relu");
  EXPECT_THAT(response.layers(0).shape(), HasSubstr("8x3x224x224"));
  EXPECT_EQ(response.unmodelled_layers(), 0);
  EXPECT_FALSE(response.total_is_lower_bound());
  EXPECT_EQ(response.spec_estimated_layers(), estimated);
  EXPECT_EQ(estimated, response.layers_size() - 21);
  EXPECT_NEAR(response.measured_model_us(), convs_us, 1e-6 * total);
  EXPECT_NEAR(response.spec_estimated_us(), total - convs_us, 1e-6 * total);
  EXPECT_NEAR(response.total_us(), total, 1e-6 * total);
}

// A GPU nothing is published about and whose agents timed no ops: those layers are listed as
// not-modelled, left out, and the total is marked a lower bound.
TEST_F(NetworkQueryTest, OpsOfAnUnknownDeviceAreLeftOutAndTheTotalIsALowerBound) {
  ASSERT_NE(T4Measurements(), nullptr) << kNoDataset;
  v1::RegisterPlatformRequest registration;
  registration.mutable_platform()->set_name("mystery");
  registration.mutable_platform()->set_kind(v1::PLATFORM_KIND_GPU);
  registration.mutable_platform()->set_device_name("Prototype GPU X");
  v1::RegisterPlatformResponse registered;
  ASSERT_TRUE(server::RegisterPlatform(*store_, registration, registered).ok());
  StoreAndFit("mystery", std::vector<v1::Measurement>(T4Measurements()->begin(), T4Measurements()->begin() + 200));
  v1::PredictNetworkResponse response;
  ASSERT_TRUE(Answer(OnnxNetwork("mystery", 1), response).ok());
  EXPECT_EQ(response.unmodelled_layers(), response.layers_size() - 21);
  EXPECT_TRUE(response.total_is_lower_bound());
  EXPECT_EQ(response.spec_estimated_layers(), 0);
  EXPECT_EQ(response.spec_estimated_us(), 0);
  EXPECT_NEAR(response.measured_model_us(), response.total_us(), 1e-9);
  for (const v1::NetworkLayerPrediction& layer : response.layers()) {
    const std::string& kind = layer.prediction().explanation().model_kind();
    if (kind == "not-modelled") {
      EXPECT_EQ(layer.prediction().latency_us(), 0) << layer.name();
    }
  }
}

// One bad request per row: its code, and its message naming the field under the request's path,
// once, whether the request is the whole call ("") or one network of a batch.
struct BadRequest {
  const char* what;
  std::function<void(v1::PredictNetworkRequest&)> spoil;
  absl::StatusCode code;
  const char* message;  // the start of the message for path ""
};

std::vector<BadRequest> BadRequests() {
  using R = v1::PredictNetworkRequest;
  const auto invalid = absl::StatusCode::kInvalidArgument;
  return {
      {"negative batch", [](R& r) { r.set_batch(-1); }, invalid, "batch must be >= 0"},
      {"unknown layout", [](R& r) { r.set_layout(static_cast<v1::Layout>(42)); }, invalid,
       "layout is not a known layout: 42"},
      {"no network", [](R& r) { r.clear_network(); }, invalid, "network: set onnx_model or layers"},
      {"empty list", [](R& r) { r.mutable_layers()->clear_layers(); }, invalid, "layers.layers must not be empty"},
      {"conv and op",
       [](R& r) { *r.mutable_layers()->mutable_layers(1)->mutable_conv() = Conv("n=1,c=8,h=8,w=8,k=8,r=1,s=1"); },
       invalid, "layers.layers[1] must set exactly one of conv and op"},
      {"bad op", [](R& r) { r.mutable_layers()->mutable_layers(1)->mutable_op()->set_kernel_h(0); }, invalid,
       "layers.layers[1].op.kernel_h and kernel_w are required"},
      {"bad conv", [](R& r) { r.mutable_layers()->mutable_layers(0)->mutable_conv()->set_k(0); }, invalid,
       "layers.layers[0].conv.k must be > 0"},
      {"not ONNX", [](R& r) { r.set_onnx_model("not really onnx"); }, invalid, "onnx_model: not an ONNX model"},
      {"truncated ONNX", [](R& r) { r.set_onnx_model(ResNet18Onnx().substr(0, 5000)); }, invalid,
       "onnx_model: not an ONNX model"},
      {"ONNX that does not infer",
       [](R& r) {
         r.set_onnx_model(ResNet18Onnx());
         for (int d : {8, 3, 224}) (*r.mutable_input_shapes())["input"].add_dims(d);
       },
       invalid, "onnx_model: shape inference failed"},
      {"ONNX node error",
       [](R& r) {
         r.set_onnx_model(ResNet18Onnx());
         for (int d : {8, 5, 224, 224}) (*r.mutable_input_shapes())["input"].add_dims(d);
       },
       invalid, "onnx_model: node "},
      {"zero dims",
       [](R& r) {
         r.set_onnx_model(ResNet18Onnx());
         for (int d : {8, 0, 224, 224}) (*r.mutable_input_shapes())["input"].add_dims(d);
       },
       invalid, "input_shapes[input]: dims must be positive"},
      {"no platform", [](R& r) { r.clear_platform(); }, invalid, "platform is required"},
      {"unknown platform", [](R& r) { r.set_platform("nowhere"); }, absl::StatusCode::kNotFound,
       "platform 'nowhere' is not registered"},
      {"no model yet", [](R& r) { r.set_platform("fresh"); }, absl::StatusCode::kFailedPrecondition,
       "platform 'fresh' has no model yet (0 successful measurements stored); profile it with convlat-agent first"},
  };
}

TEST_F(NetworkQueryTest, EachErrorNamesItsFieldOnceUnderThePath) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  Register("fresh");
  for (const BadRequest& bad : BadRequests()) {
    for (const std::string path : {"", "networks[3]"}) {
      v1::PredictNetworkRequest request = ListedNetwork();
      bad.spoil(request);
      v1::PredictNetworkResponse response;
      const absl::Status status = Answer(request, response, path);
      EXPECT_EQ(status.code(), bad.code) << bad.what << ": " << status;
      EXPECT_THAT(std::string(status.message()), StartsWith(server::FieldPath(path, bad.message))) << bad.what;
      EXPECT_EQ(response.layers_size(), 0) << bad.what;
    }
  }
}

TEST_F(NetworkQueryTest, BatchAnswersEachNetworkOnItsOwn) {
  ASSERT_NO_FATAL_FAILURE(FitCpu());
  v1::PredictNetworksRequest many;
  *many.add_networks() = OnnxNetwork("cpu", 1);
  *many.add_networks() = OnnxNetwork("cpu", 4);
  many.add_networks()->set_platform("cpu");  // neither ONNX nor layers
  *many.add_networks() = ListedNetwork();
  many.mutable_networks(3)->set_platform("nowhere");
  v1::PredictNetworksResponse answers;
  ASSERT_TRUE(server::AnswerNetworks(core(), many, answers).ok());
  ASSERT_EQ(answers.results_size(), 4);
  EXPECT_EQ(answers.results(0).error_code(), 0);
  EXPECT_EQ(answers.results(1).error_code(), 0);
  EXPECT_GT(answers.results(1).response().total_us(), answers.results(0).response().total_us());
  EXPECT_EQ(answers.results(2).error_code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(answers.results(2).error_message(), "networks[2].network: set onnx_model or layers");
  EXPECT_FALSE(answers.results(2).has_response());
  EXPECT_EQ(answers.results(3).error_code(), static_cast<int>(absl::StatusCode::kNotFound));
  EXPECT_EQ(answers.results(3).error_message(), "networks[3].platform 'nowhere' is not registered");
}

}  // namespace
}  // namespace convlat::testing
