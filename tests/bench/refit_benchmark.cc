// What one refit of a GPU platform that leans on the transfer costs (server/transferred_refit.h):
// the transfer from the public V100 and A100 (stacked over their own fits, as the server fits it,
// once) refined by, and blended with, the first N layers of the public T4 as the platform's own.
// Below 100 layers TransferredSnapshot, from 100 RefitWithTransfer's serving fit: the own fit, its
// check against the roofline, the blend's cross-validated share and its interval calibration,
// which refits the blend on each of five folds. And one layer's prediction on such a platform
// (BM_PredictTransferred).
//   build/tests/bench/refit_benchmark
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "model/datasets/gpu_specs.h"
#include "model/datasets/public_datasets.h"
#include "model/latency/samples.h"
#include "model/serving_model.h"
#include "model/transfer/transfer_spec.h"
#include "model/transfer/transferred_latency_model.h"
#include "server/transferred_refit.h"

namespace convlat {
namespace {

std::string PublicData() { return model::DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public"); }

const server::SourceTransfer* Transfer() {
  static const auto* transfer = []() -> server::SourceTransfer* {
    std::vector<model::TransferSource> sources;
    for (const char* name : {"gpu-v100", "gpu-a100"}) {
      absl::StatusOr<model::RecordedPlatform> recorded =
          model::LoadPublicPlatform(*model::FindPublicPlatform(name), PublicData(), "bench");
      if (!recorded.ok()) return nullptr;
      model::FillFromGpuSpecTable(recorded->platform);
      absl::StatusOr<model::TransferSpec> spec = model::TransferSpecOf(recorded->platform, "platform");
      if (!spec.ok()) return nullptr;
      sources.push_back({.spec = *spec, .samples = model::SamplesFromMeasurements(recorded->measurements)});
    }
    model::TransferOptions options;
    options.source_model = model::FitEachSource(model::FitLatencyModel);
    absl::StatusOr<model::TransferModel> fitted = model::TransferModel::Fit(sources, options);
    if (!fitted.ok()) return nullptr;
    return new server::SourceTransfer{.model = std::make_shared<const model::TransferModel>(*std::move(fitted))};
  }();
  return transfer;
}

const model::RecordedPlatform* T4() {
  static const auto* t4 = []() -> model::RecordedPlatform* {
    absl::StatusOr<model::RecordedPlatform> recorded =
        model::LoadPublicPlatform(*model::FindPublicPlatform("gpu-t4"), PublicData(), "bench");
    if (!recorded.ok()) return nullptr;
    model::FillFromGpuSpecTable(recorded->platform);
    return new model::RecordedPlatform(*std::move(recorded));
  }();
  return t4;
}

void BM_RefitWithTransfer(benchmark::State& state) {
  const server::SourceTransfer* transfer = Transfer();
  const model::RecordedPlatform* t4 = T4();
  if (transfer == nullptr || t4 == nullptr) {
    state.SkipWithError("public datasets not found");
    return;
  }
  const auto layers = static_cast<std::ptrdiff_t>(state.range(0));
  server::TransferTarget target{.platform = "new-t4",
                                .described = t4->platform,
                                .spec = *model::TransferSpecOf(t4->platform, "platform"),
                                .measurements = {t4->measurements.begin(), t4->measurements.begin() + layers},
                                .successful = layers};
  for (auto _ : state) benchmark::DoNotOptimize(server::RefitWithTransfer(*transfer, target));
  state.SetLabel(absl::StrCat(layers, " own layers"));
}
BENCHMARK(BM_RefitWithTransfer)->Arg(25)->Arg(50)->Arg(100)->Arg(450)->Arg(999)->Unit(benchmark::kMillisecond);

// One layer predicted on the T4 served through the transfer: zero-shot (0 own layers: the trees,
// and Habitat's rule from the V100 and A100 alike to it) and stacked over the sources' own models
// (50 own layers), explanation included, as the server's Predict runs it. The layers are the T4's
// own, past the 50 that refine it.
void BM_PredictTransferred(benchmark::State& state) {
  const server::SourceTransfer* transfer = Transfer();
  const model::RecordedPlatform* t4 = T4();
  if (transfer == nullptr || t4 == nullptr) {
    state.SkipWithError("public datasets not found");
    return;
  }
  const auto layers = static_cast<size_t>(state.range(0));
  const std::vector<model::Sample> samples = model::SamplesFromMeasurements(t4->measurements);
  const model::TransferSpec spec = *model::TransferSpecOf(t4->platform, "platform");
  const std::vector<model::Sample> own(samples.begin(), samples.begin() + layers);
  const model::TransferredLatencyModel served(transfer->model, spec,
                                              model::FitFewShotCorrection(*transfer->model, spec, own));
  size_t i = 50;
  for (auto _ : state) {
    benchmark::DoNotOptimize(served.Predict(samples[i].shape));
    i = i + 1 < samples.size() ? i + 1 : 50;
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(absl::StrCat(layers, " own layers", served.stacked() ? ", stacked" : ""));
}
BENCHMARK(BM_PredictTransferred)->Arg(0)->Arg(50);

}  // namespace
}  // namespace convlat
