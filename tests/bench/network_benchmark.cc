// Whole-network prediction speed: ONNX import, the model's pass over the layers, and the batch
// API (PredictNetworks) through a real in-process server on loopback, for NAS controllers.
// Uses the public T4 measurements (a real fitted two-mode model) and the ResNet-50 fixture.
//   build/tests/bench/network_benchmark
#include <unistd.h>

#include <filesystem>

#include <benchmark/benchmark.h>

#include "convlat/v1/latency.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "model/latency/network_prediction.h"
#include "model/onnx/onnx_import.h"
#include "model/onnx/weight_stripping.h"
#include "model/serving_model.h"
#include "server/measurement_store.h"
#include "server/server_app.h"
#include "tests/support/onnx_fixture.h"

namespace convlat {
namespace {

using ::convlat::testing::OnnxFixture;

std::string ResNet50() { return OnnxFixture("resnet50"); }

const model::NeuSightDataset* T4() {
  static const auto* dataset = [] {
    absl::StatusOr<model::NeuSightDataset> data = model::LoadNeuSightCsv(
        model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3/Tesla_T4.csv");
    return data.ok() ? new model::NeuSightDataset(*std::move(data)) : nullptr;
  }();
  return dataset;
}

void BM_ImportOnnxResNet50(benchmark::State& state) {
  const std::string bytes = ResNet50();
  for (auto _ : state) benchmark::DoNotOptimize(model::ImportOnnx(bytes, {.batch = 8}));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ImportOnnxResNet50)->Unit(benchmark::kMillisecond);

void BM_PredictImportedResNet50(benchmark::State& state) {
  if (T4() == nullptr) return state.SkipWithError("public dataset not found");
  auto fitted =
      model::FitLatencyModel(model::SamplesFromMeasurements(T4()->measurements), model::HardwareOf(T4()->platform));
  const std::vector<model::NetworkLayer> layers = *model::ImportOnnx(ResNet50(), {.batch = 8});
  for (auto _ : state) benchmark::DoNotOptimize(model::PredictNetworkLatency(**fitted, nullptr, layers, {}));
  state.SetItemsProcessed(state.iterations());
  state.counters["layers"] = static_cast<double>(layers.size());
}
BENCHMARK(BM_PredictImportedResNet50)->Unit(benchmark::kMicrosecond);

// ConvNeXt-Tiny at opset 11 (LayerNorm decomposed): 475 layers, the largest CNN fixture; what a
// network query of it costs the server, import and model pass together (issue 15: < 50 ms).
void BM_ImportAndPredictConvNeXt(benchmark::State& state) {
  if (T4() == nullptr) return state.SkipWithError("public dataset not found");
  auto fitted =
      model::FitLatencyModel(model::SamplesFromMeasurements(T4()->measurements), model::HardwareOf(T4()->platform));
  const std::string bytes = OnnxFixture("convnext_tiny_opset11");
  size_t layers = 0;
  for (auto _ : state) {
    absl::StatusOr<std::vector<model::NetworkLayer>> imported = model::ImportOnnx(bytes, {});
    layers = imported.ok() ? imported->size() : 0;
    if (imported.ok()) benchmark::DoNotOptimize(model::PredictNetworkLatency(**fitted, nullptr, *imported, {}));
  }
  state.counters["layers"] = static_cast<double>(layers);
}
BENCHMARK(BM_ImportAndPredictConvNeXt)->Unit(benchmark::kMillisecond);

// `state.range(0)` ResNet-50 variants (batch 1..) per PredictNetworks call, ONNX bytes each.
void BM_PredictNetworksOverGrpc(benchmark::State& state) {
  if (T4() == nullptr) return state.SkipWithError("public dataset not found");
  const std::string db =
      std::filesystem::temp_directory_path() / ("convlat_network_bench_" + std::to_string(getpid()) + ".db");
  {
    auto store = server::OpenMeasurementStore(db);
    v1::Platform platform = T4()->platform;
    platform.set_name("t4");
    (*store)->UpsertPlatform(platform).IgnoreError();
    v1::MeasurementBatch batch;
    batch.set_batch_id("bench");
    batch.set_platform("t4");
    for (const v1::Measurement& m : T4()->measurements) *batch.add_measurements() = m;
    (*store)->InsertBatch(batch).IgnoreError();
  }
  auto app = server::ServerApp::Start({.listen = "127.0.0.1:0", .db = db, .metrics_listen = ""});
  if (!app.ok()) return state.SkipWithError("server did not start");
  (*app)->models().WaitUntilIdle();
  auto stub = v1::LatencyService::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*app)->port()), grpc::InsecureChannelCredentials()));
  const std::string onnx = model::StripOnnxWeights(ResNet50()).value();
  v1::PredictNetworksRequest request;
  for (int i = 0; i < state.range(0); ++i) {
    v1::PredictNetworkRequest* network = request.add_networks();
    network->set_platform("t4");
    network->set_onnx_model(onnx);
    network->set_batch(1 + i % 32);
  }
  for (auto _ : state) {
    v1::PredictNetworksResponse response;
    grpc::ClientContext context;
    if (!stub->PredictNetworks(&context, request, &response).ok()) return state.SkipWithError("rpc failed");
    benchmark::DoNotOptimize(response);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));  // networks
  app->reset();
  std::filesystem::remove(db);
}
BENCHMARK(BM_PredictNetworksOverGrpc)->Arg(1)->Arg(16)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace convlat
