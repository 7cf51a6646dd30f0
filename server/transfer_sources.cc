#include "server/transfer_sources.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/datasets/gpu_specs.h"
#include "model/latency/samples.h"
#include "model/serving_model.h"
#include "spdlog/spdlog.h"

namespace convlat::server {
namespace {

// The leave-one-source-out fits behind the intervals need only the residuals' quantiles.
constexpr int kIntervalSamplesPerSource = 800;
// Source sets kept fitted: one per platform served a blend, at most.
constexpr size_t kCachedSourceSets = 8;

struct Candidate {
  v1::Platform platform;
  model::TransferSpec spec;
  int64_t count = 0;
};

// Platforms that may be sources: GPUs with a complete spec (from the table where they are named
// only) and at least kOwnLayersForOwnFit successful measurements, `target` left out.
absl::StatusOr<std::vector<Candidate>> Candidates(MeasurementStore& store, const std::string& target) {
  absl::StatusOr<std::vector<v1::Platform>> platforms = store.ListPlatforms();
  if (!platforms.ok()) return platforms.status();
  std::vector<Candidate> candidates;
  for (v1::Platform& platform : *platforms) {
    if (platform.name() == target) continue;
    model::FillFromGpuSpecTable(platform);
    if (platform.kind() != v1::PLATFORM_KIND_GPU) continue;
    absl::StatusOr<model::TransferSpec> spec = model::TransferSpecOf(platform, "platform");
    if (!spec.ok()) continue;
    absl::StatusOr<int64_t> count = store.CountSuccessfulMeasurements(platform.name());
    if (!count.ok() || *count < kOwnLayersForOwnFit) continue;
    candidates.push_back({.platform = std::move(platform), .spec = *std::move(spec), .count = *count});
  }
  return candidates;
}

model::PredictionIntervals IntervalsFrom(const std::vector<double>& log_residuals) {
  std::vector<model::HeldOutResidual> held_out;
  held_out.reserve(log_residuals.size());
  for (double r : log_residuals) {
    model::HeldOutResidual residual{.measured_us = std::exp(r)};
    residual.prediction.latency_us = 1;  // the residual is the ratio measured / predicted
    residual.prediction.explanation.set_model_kind("transfer");
    held_out.push_back(std::move(residual));
  }
  return model::PredictionIntervals::Calibrate(held_out);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const SourceTransfer>> TransferSources::For(MeasurementStore& store,
                                                                           const std::string& target) {
  absl::StatusOr<std::vector<Candidate>> candidates = Candidates(store, target);
  if (!candidates.ok()) return candidates.status();
  std::vector<std::string> key_parts;
  for (const Candidate& c : *candidates) key_parts.push_back(absl::StrCat(c.platform.name(), ":", c.count));
  const std::string key = absl::StrJoin(key_parts, ",");
  absl::MutexLock lock(&mutex_);
  if (auto it = cached_.find(key); it != cached_.end()) return it->second;

  const auto start = std::chrono::steady_clock::now();
  std::vector<model::TransferSource> sources;
  for (const Candidate& candidate : *candidates) {
    absl::StatusOr<std::vector<v1::Measurement>> measurements = store.LoadMeasurements(candidate.platform.name());
    if (!measurements.ok()) return measurements.status();
    std::vector<model::Sample> samples = model::SamplesFromMeasurements(*measurements);
    if (samples.size() < static_cast<size_t>(kOwnLayersForOwnFit)) continue;  // ops, not convolutions
    sources.push_back({.spec = candidate.spec, .samples = std::move(samples)});
  }
  if (sources.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("no GPU platform to transfer from: one needs a complete spec and ", kOwnLayersForOwnFit,
                     " convolution measurements (start the server with --seed_public_data data/public, or profile a "
                     "GPU with convlat-agent)"));
  }
  model::TransferOptions options;
  // Each source's own model, as its platform is served, for the stacked few-shot correction.
  options.source_fit = [](const std::vector<model::Sample>& samples, const model::HardwareInfo& hardware) {
    return model::FitLatencyModel(samples, hardware);
  };
  absl::StatusOr<model::TransferModel> fitted = model::TransferModel::Fit(sources, options);
  if (!fitted.ok()) return fitted.status();
  auto transfer = std::make_shared<SourceTransfer>();
  transfer->model = std::make_shared<const model::TransferModel>(*std::move(fitted));
  for (const model::TransferSource& source : sources) transfer->domain.Add(source.samples);
  model::TransferOptions interval_options;
  interval_options.max_samples_per_source = kIntervalSamplesPerSource;
  transfer->intervals = IntervalsFrom(model::LeaveOneSourceOutLogResiduals(sources, interval_options));
  transfer->fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("transfer model fitted on {} GPUs ({}) in {:.2f}s", sources.size(),
               absl::StrJoin(transfer->model->source_names(), ", "), transfer->fit_seconds);
  if (cached_.size() >= kCachedSourceSets) cached_.clear();  // source sets changed: start afresh
  cached_[key] = transfer;
  return transfer;
}

}  // namespace convlat::server
