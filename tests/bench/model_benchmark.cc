// Prediction and fit cost of the platform model, on the public NeuSight T4 measurements.
//   build/tests/bench/model_benchmark
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "absl/strings/str_cat.h"
#include "model/datasets/justus_dataset.h"
#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "model/interval/training_domain.h"
#include "model/layers/conv_shape.h"
#include "model/served_layer.h"
#include "model/serving_model.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

struct Platform {
  std::vector<Sample> samples;
  HardwareInfo hardware;
  std::vector<v1::Measurement> measurements;
};

const Platform& T4() {
  static const auto* platform = [] {
    const std::string path =
        DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3/Tesla_T4.csv";
    absl::StatusOr<NeuSightDataset> dataset = LoadNeuSightCsv(path);
    if (!dataset.ok()) return new Platform{};
    return new Platform{SamplesFromMeasurements(dataset->measurements), HardwareOf(dataset->platform),
                        dataset->measurements};
  }();
  return *platform;
}

const std::vector<Sample>& T4Samples() { return T4().samples; }
const std::vector<v1::Measurement>& T4Measurements() { return T4().measurements; }

// The T4 models fitted once per process (a fit takes about a second): repetitions then time
// predictions only.
const LatencyModel* T4Model() {
  static const auto* model = [] {
    absl::StatusOr<std::unique_ptr<LatencyModel>> fitted = FitLatencyModel(T4Samples(), T4().hardware);
    return fitted.ok() ? fitted->release() : nullptr;
  }();
  return model;
}
const ServingModel* T4Serving() {
  static const auto* serving = [] {
    absl::StatusOr<ServingModel> fitted = FitServingModel(T4Measurements(), T4().hardware);
    return fitted.ok() ? new ServingModel(*std::move(fitted)) : nullptr;
  }();
  return serving;
}

// Runs shared by other engineers move by +-40 %; the fastest repetition is the least disturbed.
double Fastest(const std::vector<double>& v) { return v.empty() ? 0 : *std::min_element(v.begin(), v.end()); }

void BM_PredictLayer(benchmark::State& state) {
  const std::vector<Sample>& samples = T4Samples();
  const LatencyModel* model = samples.empty() ? nullptr : T4Model();
  if (model == nullptr) {
    state.SkipWithError("public dataset not found, or the T4 fit failed");
    return;
  }
  // The correction's trees are about a third of a prediction's cost: the label says how many.
  const std::map<std::string, double> parameters = model->parameters();
  const auto trees = parameters.find("correction_trees");
  state.SetLabel(absl::StrCat(model->kind(), ", ", trees == parameters.end() ? 0 : trees->second, " correction trees"));
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(model->Predict(samples[i].shape));
    i = (i + 1) % samples.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictLayer)->ComputeStatistics("min", Fastest);

// The same with its 80 % interval: the served prediction (a lookup and two multiplications more).
void BM_PredictLayerWithInterval(benchmark::State& state) {
  const std::vector<Sample>& samples = T4Samples();
  const ServingModel* serving = samples.empty() ? nullptr : T4Serving();
  if (serving == nullptr) {
    state.SkipWithError("public dataset not found, or the T4 serving fit failed");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    Prediction p = serving->conv->Predict(samples[i].shape);
    serving->conv_intervals.Apply(p);
    benchmark::DoNotOptimize(p);
    i = (i + 1) % samples.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PredictLayerWithInterval)->ComputeStatistics("min", Fastest);

// The served path (model/served_layer.h, what the server's Predict runs per layer): the T4 serving
// model with its table of measured configurations, its interval, and the lookup of the layer in
// the table. measured:1 the layers the platform timed (answered with their measurement, the model
// still run for the explanation); measured:0 layers it did not (each with one output channel more).
void BM_PredictLayerServed(benchmark::State& state) {
  const ServingModel* serving = T4Measurements().empty() ? nullptr : T4Serving();
  if (serving == nullptr) {
    state.SkipWithError("public dataset not found, or the T4 serving fit failed");
    return;
  }
  const bool measured = state.range(0) == 1;
  std::vector<v1::ConvParams> layers;
  for (const v1::Measurement& m : T4Measurements()) {
    v1::ConvParams layer = m.params();
    if (!measured) layer.set_k(layer.k() + 1);
    if (m.has_op() || !ValidateConvParams(layer, "").ok()) continue;
    if ((serving->measured.FindConv(layer) != nullptr) == measured) layers.push_back(layer);
  }
  if (layers.empty()) {
    state.SkipWithError("no such layers");
    return;
  }
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(PredictServedLayer(*serving->conv, serving->measured, serving->conv_intervals, layers[i]));
    i = (i + 1) % layers.size();
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["layers"] = static_cast<double>(layers.size());
}
BENCHMARK(BM_PredictLayerServed)->ArgName("measured")->Arg(1)->Arg(0)->ComputeStatistics("min", Fastest);

// What the served path adds to every prediction to tell extrapolations (training_domain.h): the
// domain check of a layer inside (T4 layers against the T4's domain), which allocates nothing.
void BM_TrainingDomainCheck(benchmark::State& state) {
  const std::vector<Sample>& samples = T4Samples();
  if (samples.empty()) {
    state.SkipWithError("public dataset not found");
    return;
  }
  const TrainingDomain domain = TrainingDomain::Of(samples);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(domain.Outside(samples[i].shape));
    i = (i + 1) % samples.size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TrainingDomainCheck)->ComputeStatistics("min", Fastest);

void BM_FitPlatform(benchmark::State& state) {
  const std::vector<Sample>& samples = T4Samples();
  if (samples.empty()) {
    state.SkipWithError("public dataset not found");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(FitLatencyModel(samples, T4().hardware));
  state.counters["samples"] = static_cast<double>(samples.size());
}
BENCHMARK(BM_FitPlatform)->Unit(benchmark::kMillisecond);

// The name-free fit (issue 13's goal: under 2 s for 25k layers on 2 cores): the two-mode model on
// all of Justus et al.'s V100 layers, TensorFlow timings without kernel names, so every staircase's
// tile and concurrency are searched, latent kernel groups formed and the correction checked.
void BM_FitTwoModeWithoutKernelNames(benchmark::State& state) {
  static const auto* v100 = [] {
    const std::string path =
        DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/justus-conv/Tesla_V100.csv";
    absl::StatusOr<JustusDataset> dataset = LoadJustusCsv(path);
    if (!dataset.ok()) return new Platform{};
    return new Platform{SamplesFromMeasurements(dataset->measurements), HardwareOf(dataset->platform), {}};
  }();
  if (v100->samples.empty()) {
    state.SkipWithError("public dataset not found");
    return;
  }
  absl::StatusOr<std::unique_ptr<TwoModeModel>> model;
  for (auto _ : state) benchmark::DoNotOptimize(model = TwoModeModel::Fit(v100->samples, v100->hardware));
  state.counters["samples"] = static_cast<double>(v100->samples.size());
  if (!model.ok()) return;
  // What the fit chose: its groups, and what the correction's held-out check saw.
  for (const char* name :
       {"kernel_groups", "correction_trees", "correction.held_out_mape_without", "correction.held_out_mape_with"}) {
    const auto parameters = (*model)->parameters();
    if (const auto it = parameters.find(name); it != parameters.end()) state.counters[name] = it->second;
  }
}
BENCHMARK(BM_FitTwoModeWithoutKernelNames)->Unit(benchmark::kMillisecond)->Iterations(1);

// What the server runs on a refit: the conv model with its intervals' calibration, and the op model.
void BM_FitServingModel(benchmark::State& state) {
  if (T4Measurements().empty()) {
    state.SkipWithError("public dataset not found");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(FitServingModel(T4Measurements(), T4().hardware));
  state.counters["samples"] = static_cast<double>(T4Samples().size());
}
BENCHMARK(BM_FitServingModel)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace convlat::model
