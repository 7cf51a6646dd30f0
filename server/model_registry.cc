#include "server/model_registry.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "model/datasets/gpu_specs.h"
#include "model/serving_model.h"
#include "model/transfer/blended_latency_model.h"
#include "server/new_kind_routing.h"
#include "server/served_snapshot.h"
#include "server/transferred_refit.h"
#include "spdlog/spdlog.h"

namespace convlat::server {
ModelRegistry::ModelRegistry(MeasurementStore& store, ServerMetrics& metrics,
                             std::chrono::milliseconds store_sync_interval)
    : store_(store), metrics_(metrics), store_sync_interval_(store_sync_interval), worker_([this] { WorkerLoop(); }) {}

ModelRegistry::~ModelRegistry() {
  {
    absl::MutexLock lock(&queue_mutex_);
    stopping_ = true;
  }
  worker_.join();
}

absl::Status ModelRegistry::RefitAllInBackground() {
  absl::StatusOr<std::vector<v1::Platform>> platforms = store_.ListPlatforms();
  if (!platforms.ok()) return platforms.status();
  for (const v1::Platform& platform : *platforms) RequestRefit(platform.name());
  return absl::OkStatus();
}

void ModelRegistry::RequestRefit(const std::string& platform) {
  absl::MutexLock lock(&queue_mutex_);
  pending_.insert(platform);
}

void ModelRegistry::WaitUntilIdle() {
  absl::MutexLock lock(&queue_mutex_);
  queue_mutex_.Await(absl::Condition(this, &ModelRegistry::IdleOrStopping));
}

void ModelRegistry::WorkerLoop() {
  const absl::Condition has_work(this, &ModelRegistry::HasWork);
  // Locked and unlocked explicitly: the lock is let go around each fit and store sync.
  queue_mutex_.Lock();
  while (true) {
    if (store_sync_interval_.count() > 0) {
      if (!queue_mutex_.AwaitWithTimeout(has_work, absl::FromChrono(store_sync_interval_))) {
        queue_mutex_.Unlock();
        QueueChangedPlatforms();
        queue_mutex_.Lock();
        continue;
      }
    } else {
      queue_mutex_.Await(has_work);
    }
    if (stopping_) break;
    const std::string platform = *pending_.begin();
    pending_.erase(pending_.begin());
    busy_ = true;
    fitting_ = platform;
    queue_mutex_.Unlock();
    if (absl::Status status = Refit(platform); !status.ok()) {
      spdlog::warn("model for platform '{}' not refitted: {}", platform, status.ToString());
    }
    queue_mutex_.Lock();
    busy_ = false;
    fitting_.clear();
  }
  queue_mutex_.Unlock();
}

void ModelRegistry::QueueChangedPlatforms() {
  absl::StatusOr<std::vector<v1::Platform>> platforms = store_.ListPlatforms();
  if (!platforms.ok()) {
    spdlog::warn("store sync: {}", platforms.status().ToString());
    return;
  }
  std::set<std::string> listed;
  for (const v1::Platform& platform : *platforms) {
    listed.insert(platform.name());
    absl::StatusOr<int64_t> count = store_.CountSuccessfulMeasurements(platform.name());
    if (!count.ok()) continue;
    bool changed = false;
    {
      absl::MutexLock lock(&models_mutex_);
      const auto it = fitted_counts_.find(platform.name());
      changed = it == fitted_counts_.end() || it->second != *count;
    }
    if (changed) RequestRefit(platform.name());
  }
  // A platform another replica removed is no longer listed; its refit drops the model.
  std::vector<std::string> unlisted;
  {
    absl::MutexLock lock(&models_mutex_);
    for (const auto& [name, model] : models_) {
      if (!listed.contains(name)) unlisted.push_back(name);
    }
  }
  for (const std::string& name : unlisted) RequestRefit(name);
}

absl::Status ModelRegistry::Refit(const std::string& platform) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_seconds = [&start] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  absl::StatusOr<std::vector<v1::Measurement>> measurements = store_.LoadMeasurements(platform);
  if (!measurements.ok()) return measurements.status();
  const int64_t successful =
      std::count_if(measurements->begin(), measurements->end(), [](const v1::Measurement& m) { return !m.failed(); });
  // The SM count lets the fit search CTAs per SM instead of raw concurrency; unknown is fine. A GPU
  // registered by its name only (public data) gets the figures its data sheet gives.
  absl::StatusOr<v1::Platform> described = store_.GetPlatform(platform);
  if (described.ok()) model::FillFromGpuSpecTable(*described);
  // A GPU with a complete spec can be served the transfer model while it has few layers of its own.
  // With no measurements at all, only one registered from its spec alone: a measured platform whose
  // measurements were all retired has no model (docs/admin.md), like any other.
  std::optional<model::TransferSpec> spec;
  if (described.ok() && described->kind() == v1::PLATFORM_KIND_GPU && (successful > 0 || described->spec_only())) {
    if (absl::StatusOr<model::TransferSpec> s = model::TransferSpecOf(*described, "platform"); s.ok()) spec = *s;
  }
  {
    absl::MutexLock lock(&models_mutex_);
    fitted_counts_[platform] = successful;
    // Everything retired, or the platform removed (AdminService): a model fitted on measurements
    // the store no longer offers must not keep answering.
    if (successful == 0 && !spec && models_.erase(platform) > 0) {
      fit_errors_[platform] = "no current measurements: they were retired or the platform removed";
      spdlog::info("platform '{}': model dropped, {}", platform, fit_errors_[platform]);
      return absl::OkStatus();
    }
  }
  const std::vector<model::Sample> own_samples = model::SamplesFromMeasurements(*measurements);
  const size_t own_layers = own_samples.size();
  std::optional<TransferTarget> target;
  if (spec) target.emplace(TransferTarget{platform, *described, *spec, *measurements, successful});
  // Below kOwnLayersWithoutTransfer layers of its own, what it is served involves the transfer
  // (transferred_refit.h), when there is one to be had.
  absl::Status transfer_status = absl::OkStatus();
  const PublishedModels published = [this](const std::string& name) { return Get(name); };
  if (target && own_layers < static_cast<size_t>(kOwnLayersWithoutTransfer)) {
    absl::StatusOr<std::shared_ptr<const SourceTransfer>> transfer = transfer_sources_.For(store_, platform, published);
    if (transfer.ok()) {
      std::shared_ptr<FittedModel> snapshot = RefitWithTransfer(**transfer, *target);
      if (!snapshot->transferred && BroaderGpuServed(platform, *snapshot)) {
        RouteNewKindsOfOwnFit(platform, own_samples, target->spec, **transfer, *snapshot);
      }
      return PublishRefit(platform, std::move(snapshot));
    }
    transfer_status = transfer.status();
    if (successful == 0) {
      absl::MutexLock lock(&models_mutex_);
      models_.erase(platform);
      fit_errors_[platform] = std::string(transfer_status.message());
      return transfer_status;
    }
    spdlog::info("platform '{}': {} layers of its own and nothing to transfer from ({}); its own fit alone", platform,
                 own_layers, std::string(transfer_status.message()));
  }
  const model::HardwareInfo hardware = described.ok() ? model::HardwareOf(*described) : model::HardwareInfo{};
  absl::StatusOr<model::ServingModel> fitted = model::FitServingModel(*measurements, hardware);
  if (!fitted.ok() && target && transfer_status.ok()) {
    // The own fit failed (implausible, too few layers of one kind): the transfer serves instead.
    absl::StatusOr<std::shared_ptr<const SourceTransfer>> transfer = transfer_sources_.For(store_, platform, published);
    if (transfer.ok()) {
      spdlog::warn("platform '{}': its own fit is not served ({}); the transfer serves instead", platform,
                   std::string(fitted.status().message()));
      return PublishRefit(platform, TransferredSnapshot(**transfer, *target));
    }
    transfer_status = transfer.status();
  }
  if (!fitted.ok()) {
    metrics_.ObserveRefit(platform, false, elapsed_seconds(), 0, 0);
    // Both reasons when the transfer could not stand in: a platform with a few layers of its own
    // and no sources must not read as if more layers alone would do.
    const absl::Status status =
        transfer_status.ok() ? fitted.status()
                             : absl::Status(fitted.status().code(), absl::StrCat(fitted.status().message(), "; and ",
                                                                                 transfer_status.message()));
    absl::MutexLock lock(&models_mutex_);
    fit_errors_[platform] = std::string(status.message());
    return status;
  }
  if (!fitted->op_fit_error.empty()) spdlog::warn("platform '{}': no op model: {}", platform, fitted->op_fit_error);
  std::shared_ptr<FittedModel> snapshot =
      SnapshotOfServingModel(platform, described.ok() ? std::optional<v1::Platform>(*described) : std::nullopt,
                             *std::move(fitted), successful);
  snapshot->own_domain = model::TrainingDomain::Of(own_samples);
  if (target && BroaderGpuServed(platform, *snapshot)) {
    // The other GPUs as sources, as for a blend: their set stays the same while this one measures
    // more, so its refits find the transfer cached.
    absl::StatusOr<std::shared_ptr<const SourceTransfer>> transfer = transfer_sources_.For(store_, platform, published);
    if (transfer.ok()) {
      RouteNewKindsOfOwnFit(platform, own_samples, target->spec, **transfer, *snapshot);
    } else {
      spdlog::warn("platform '{}': the kinds of layer it never measured stay its own fit's extrapolations: {}",
                   platform, std::string(transfer.status().message()));
    }
  }
  snapshot->info.set_fit_seconds(elapsed_seconds());
  return PublishRefit(platform, std::move(snapshot));
}

absl::Status ModelRegistry::PublishRefit(const std::string& platform, std::shared_ptr<FittedModel> snapshot) {
  const v1::PlatformModel& info = snapshot->info;
  for (const v1::RejectedModel& rejected : info.rejected_models()) {
    spdlog::warn("platform '{}': {} not served, {} ({}); serving {} instead", platform, rejected.model(),
                 rejected.reason(), rejected.check(), rejected.fallback());
    metrics_.AddRejectedModel(platform, rejected.model(), rejected.check());
  }
  if (const auto& pooled = snapshot->conv_intervals.pooled()) {
    metrics_.ObserveInterval(platform, "conv", pooled->lower, pooled->upper);
  }
  if (const auto& pooled = snapshot->op_intervals.pooled()) {
    metrics_.ObserveInterval(platform, "op", pooled->lower, pooled->upper);
  }
  metrics_.ObserveRefit(platform, true, info.fit_seconds(), info.sample_count(), info.fit_mape());
  const std::string transfer = model::TransferDescription(*snapshot->model);
  spdlog::info(
      "platform '{}': serving {}: {} on {} samples, fitted in {:.3f}s, in-sample MAPE {:.1f}% (ops: {} samples, "
      "{:.1f}%){}{}",
      platform, ServedPathOf(*snapshot), info.model_kind(), info.sample_count(), info.fit_seconds(), info.fit_mape(),
      info.op_sample_count(), info.op_fit_mape(), transfer.empty() ? "" : "; ", transfer);
  const std::shared_ptr<const FittedModel> published = snapshot;
  Publish(platform, std::move(snapshot));
  if (!published->transferred) {
    // The platforms served a transfer may have had this one as a source, or may gain it as one;
    // and the GPUs that never measured kinds it did may now have them answered by the transfer.
    RequestTransferredRefits();
    RequestNarrowerRefits(platform, *published);
  }
  return absl::OkStatus();
}

void ModelRegistry::RouteNewKindsOfOwnFit(const std::string& platform, const std::vector<model::Sample>& samples,
                                          const model::TransferSpec& spec, const SourceTransfer& transfer,
                                          FittedModel& snapshot) {
  if (RouteNewKinds(transfer, samples, spec, snapshot)) {
    spdlog::info("platform '{}': the kinds of layer it never measured are answered by the transfer from {} GPUs",
                 platform, transfer.model->source_names().size());
  }
}

bool ModelRegistry::BroaderGpuServed(const std::string& platform, const FittedModel& snapshot) const {
  absl::MutexLock lock(&models_mutex_);
  for (const auto& [name, model] : models_) {
    if (name != platform && MeasuredKindsBeyond(*model, snapshot)) return true;
  }
  return false;
}

void ModelRegistry::RequestNarrowerRefits(const std::string& platform, const FittedModel& published) {
  std::vector<std::string> narrower;
  {
    absl::MutexLock lock(&models_mutex_);
    for (const auto& [name, model] : models_) {
      if (name != platform && !RoutesNewKinds(*model) && MeasuredKindsBeyond(published, *model)) {
        narrower.push_back(name);
      }
    }
  }
  for (const std::string& name : narrower) RequestRefit(name);
}

void ModelRegistry::Publish(const std::string& platform, std::shared_ptr<FittedModel> snapshot) {
  absl::MutexLock lock(&models_mutex_);
  // Milliseconds since the epoch, bumped past the last one: versions keep increasing across
  // restarts, and replicas sharing a store give comparable ones.
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  int64_t& version = versions_[platform];
  version = std::max(version + 1, now_ms);
  snapshot->info.set_version(version);
  fit_errors_.erase(platform);
  models_[platform] = std::move(snapshot);
}

void ModelRegistry::RequestTransferredRefits() {
  std::vector<std::string> transferred;
  {
    absl::MutexLock lock(&models_mutex_);
    for (const auto& [name, model] : models_) {
      if (model->transferred) transferred.push_back(name);
    }
  }
  for (const std::string& name : transferred) RequestRefit(name);
}

std::shared_ptr<const FittedModel> ModelRegistry::Get(const std::string& platform) const {
  absl::MutexLock lock(&models_mutex_);
  auto it = models_.find(platform);
  return it == models_.end() ? nullptr : it->second;
}

bool ModelRegistry::FitQueuedOrRunning(const std::string& platform) const {
  absl::MutexLock lock(&queue_mutex_);
  return pending_.contains(platform) || (busy_ && fitting_ == platform);
}

std::string ModelRegistry::LastFitError(const std::string& platform) const {
  absl::MutexLock lock(&models_mutex_);
  auto it = fit_errors_.find(platform);
  return it == fit_errors_.end() ? "" : it->second;
}

}  // namespace convlat::server
