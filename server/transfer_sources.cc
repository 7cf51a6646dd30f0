#include "server/transfer_sources.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "model/datasets/gpu_specs.h"
#include "model/interval/training_domain.h"
#include "model/kind_routed_model.h"
#include "model/latency/samples.h"
#include "model/serving_model.h"
#include "spdlog/spdlog.h"

namespace convlat::server {
namespace {

// The leave-one-source-out fits behind the intervals need only the residuals' quantiles, and the
// rule's share one number.
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

// The conv model `published` serves for `platform`, when it is the platform's own fit on `successful`
// measurements (not a blend with a transfer, which would feed the transfer back into itself), the
// domain check around it taken off: the stack wants its latencies alone.
std::shared_ptr<const model::LatencyModel> PublishedOwnFit(const PublishedModels& published,
                                                           const std::string& platform, int64_t successful) {
  if (!published) return nullptr;
  std::shared_ptr<const FittedModel> snapshot = published(platform);
  if (snapshot == nullptr || snapshot->transferred || snapshot->info.transferred_from_size() > 0 ||
      snapshot->info.measurements_seen() != successful || snapshot->model == nullptr) {
    return nullptr;
  }
  const model::LatencyModel* own = snapshot->model.get();
  // A GPU whose kinds never measured come from the transfer: its own fit alone, or the transfer
  // would feed itself.
  if (const auto* routed = dynamic_cast<const model::KindRoutedModel*>(own)) own = &routed->own();
  if (const auto* checked = dynamic_cast<const model::DomainCheckedModel*>(own)) own = &checked->model();
  return std::shared_ptr<const model::LatencyModel>(std::move(snapshot), own);  // shares the snapshot's life
}

using OwnFits = absl::flat_hash_map<std::string, std::shared_ptr<const model::LatencyModel>>;

// The candidates' own fits `published` serves, by platform.
OwnFits PublishedOwnFits(const std::vector<Candidate>& candidates, const PublishedModels& published) {
  OwnFits own_fits;
  for (const Candidate& candidate : candidates) {
    if (auto own = PublishedOwnFit(published, candidate.platform.name(), candidate.count)) {
      own_fits[candidate.platform.name()] = std::move(own);
    }
  }
  return own_fits;
}

// Each source's own model: the one its platform is served when that was fitted on the same
// measurements, else fitted here. (The served one may differ from a fresh FitLatencyModel where
// the platform has noisy measurements: it left them out or down-weighted them, as a source should.)
// At start-up every public GPU's own fit is published before the first transfer is fitted.
model::SourceModelFn SourceModels(OwnFits published) {
  return [published = std::move(published), fit = model::FitEachSource(model::FitLatencyModel)](
             const model::TransferSource& source) -> absl::StatusOr<std::shared_ptr<const model::LatencyModel>> {
    if (auto it = published.find(source.spec.name); it != published.end()) return it->second;
    return fit(source);
  };
}

}  // namespace

model::PredictionIntervals SourceTransfer::ZeroShotIntervals(const model::TransferSpec& target) const {
  // The trees' residuals, also where Habitat's rule has a share: the blend's own, on the two or three
  // GPUs like the target its share was chosen on, covered 66-72 % of the NeuSight V100's layers.
  const std::vector<double> log_residuals = model::ResidualsLike(model->held_out(), target);
  std::vector<model::HeldOutResidual> ratios;
  ratios.reserve(log_residuals.size());
  for (double r : log_residuals) {
    model::HeldOutResidual residual{.measured_us = std::exp(r)};
    residual.prediction.latency_us = 1;  // the residual is the ratio measured / predicted
    residual.prediction.explanation.set_model_kind("transfer");
    ratios.push_back(std::move(residual));
  }
  return model::PredictionIntervals::Calibrate(ratios);
}

absl::StatusOr<std::shared_ptr<const SourceTransfer>> TransferSources::For(MeasurementStore& store,
                                                                           const std::string& target,
                                                                           const PublishedModels& published) {
  absl::StatusOr<std::vector<Candidate>> candidates = Candidates(store, target);
  if (!candidates.ok()) return candidates.status();
  std::vector<std::string> key_parts;
  for (const Candidate& c : *candidates) key_parts.push_back(absl::StrCat(c.platform.name(), ":", c.count));
  const std::string key = absl::StrJoin(key_parts, ",");
  absl::MutexLock lock(&mutex_);
  if (auto it = cached_.find(key); it != cached_.end()) return it->second.transfer;

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
  options.held_out_samples_per_source = kIntervalSamplesPerSource;
  // Each source's own model, as its platform is served, for the stacked few-shot correction.
  OwnFits published_own_fits = PublishedOwnFits(*candidates, published);
  const size_t reused = published_own_fits.size();
  options.source_model = SourceModels(std::move(published_own_fits));
  absl::StatusOr<model::TransferModel> fitted = model::TransferModel::Fit(sources, options);
  if (!fitted.ok()) return fitted.status();
  auto transfer = std::make_shared<SourceTransfer>();
  transfer->model = std::make_shared<const model::TransferModel>(*std::move(fitted));
  for (const model::TransferSource& source : sources) transfer->domain.Add(source.samples);
  transfer->fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("transfer model fitted on {} GPUs ({}) in {:.2f}s, {} of their own models as they are served",
               sources.size(), absl::StrJoin(transfer->model->source_names(), ", "), transfer->fit_seconds, reused);
  Cached fitted_set{.transfer = transfer};
  for (const Candidate& candidate : *candidates) fitted_set.counts[candidate.platform.name()] = candidate.count;
  absl::erase_if(cached_, [&fitted_set](const auto& entry) {
    for (const auto& [name, count] : entry.second.counts) {
      if (auto now = fitted_set.counts.find(name); now != fitted_set.counts.end() && now->second != count) return true;
    }
    return false;
  });
  if (cached_.size() >= kCachedSourceSets) cached_.clear();  // many targets' sets: start afresh
  cached_[key] = std::move(fitted_set);
  return transfer;
}

size_t TransferSources::cached_source_sets() const {
  absl::MutexLock lock(&mutex_);
  return cached_.size();
}

}  // namespace convlat::server
