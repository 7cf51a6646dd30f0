#include "server/model_registry.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/time_util.h"
#include "model/datasets/gpu_specs.h"
#include "model/interval/interval_calibration.h"
#include "model/serving_model.h"
#include "model/transfer/blended_latency_model.h"
#include "model/transfer/transferred_latency_model.h"
#include "spdlog/spdlog.h"

namespace convlat::server {
namespace {

// The blend's 80 % intervals from its own held-out residuals on the platform's `samples`
// (BlendedFitter): tighter than the transfer's leave-one-GPU-out quantiles, and on the public GPUs
// closer to covering 80 %.
model::PredictionIntervals BlendIntervals(const SourceTransfer& transfer, const model::TransferSpec& spec,
                                          const model::HardwareInfo& hardware,
                                          const std::vector<model::Sample>& samples) {
  const model::ConvFitter own_fit = [hardware](const std::vector<model::Sample>& train) {
    return model::FitLatencyModel(train, hardware);
  };
  return model::CalibrateConvIntervals(samples, model::BlendedFitter(transfer.model, spec, own_fit));
}

}  // namespace

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
    queue_mutex_.Unlock();
    if (absl::Status status = Refit(platform); !status.ok()) {
      spdlog::warn("model for platform '{}' not refitted: {}", platform, status.ToString());
    }
    queue_mutex_.Lock();
    busy_ = false;
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
  absl::Status transfer_status = absl::OkStatus();
  if (spec && own_samples.size() < static_cast<size_t>(kOwnLayersForOwnFit)) {
    transfer_status = RefitTransferred(platform, *described, *spec, *measurements, own_samples, successful);
    if (transfer_status.ok()) return transfer_status;
    if (successful == 0) {
      absl::MutexLock lock(&models_mutex_);
      models_.erase(platform);
      return transfer_status;
    }
    // Nothing to transfer from: the platform's own fit, if its layers allow one.
  }
  const model::HardwareInfo hardware = described.ok() ? model::HardwareOf(*described) : model::HardwareInfo{};
  absl::StatusOr<model::ServingModel> fitted = model::FitServingModel(*measurements, hardware);
  if (!fitted.ok() && spec && transfer_status.ok()) {
    // The own fit failed (implausible, too few layers of one kind): the transfer serves instead.
    if (RefitTransferred(platform, *described, *spec, *measurements, own_samples, successful).ok())
      return absl::OkStatus();
  }
  if (!fitted.ok()) {
    metrics_.ObserveRefit(platform, false, elapsed_seconds(), 0, 0);
    absl::MutexLock lock(&models_mutex_);
    fit_errors_[platform] = std::string(fitted.status().message());
    return fitted.status();
  }
  // Fewer than kOwnLayersWithoutTransfer layers of its own: blended with the transfer, which the
  // own fit does not yet beat alone (docs/accuracy.md, "Transfer").
  std::shared_ptr<const SourceTransfer> blended_with;
  if (spec && own_samples.size() < static_cast<size_t>(kOwnLayersWithoutTransfer)) {
    if (absl::StatusOr<std::shared_ptr<const SourceTransfer>> transfer = transfer_sources_.For(store_, platform);
        transfer.ok()) {
      blended_with = *transfer;
      fitted->conv = model::TransferredOrBlended(blended_with->model, *spec, own_samples, std::move(fitted->conv));
      model::PredictionIntervals intervals = BlendIntervals(
          *blended_with, *spec, described.ok() ? model::HardwareOf(*described) : model::HardwareInfo{}, own_samples);
      if (intervals.calibrated()) fitted->conv_intervals = std::move(intervals);
    }
  }
  if (!fitted->op_fit_error.empty()) spdlog::warn("platform '{}': no op model: {}", platform, fitted->op_fit_error);
  for (const model::RejectedFit& rejected : fitted->rejected) {
    spdlog::warn("platform '{}': {} not served, {} ({}); serving {} instead", platform, rejected.model, rejected.reason,
                 rejected.check, rejected.fallback);
    metrics_.AddRejectedModel(platform, rejected.model, rejected.check);
  }

  auto snapshot = std::make_shared<FittedModel>();
  v1::PlatformModel& info = snapshot->info;
  info.set_platform(platform);
  info.set_model_kind(fitted->conv->kind());
  info.set_sample_count(fitted->conv_samples);
  info.set_measurements_seen(successful);
  info.set_fit_mape(fitted->conv_fit.mape);
  info.set_fit_rmspe(fitted->conv_fit.rmspe);
  for (const auto& [name, value] : fitted->conv->parameters()) (*info.mutable_parameters())[name] = value;
  if (blended_with != nullptr) {
    for (const std::string& source : blended_with->model->source_names()) info.add_transferred_from(source);
    info.set_transfer_target_layers(static_cast<int32_t>(own_samples.size()));
  }
  for (const model::RejectedFit& rejected : fitted->rejected) {
    v1::RejectedModel& out = *info.add_rejected_models();
    out.set_model(rejected.model);
    out.set_check(rejected.check);
    out.set_reason(rejected.reason);
    out.set_fallback(rejected.fallback);
  }
  info.set_noisy_left_out(fitted->noisy_left_out);
  info.set_noisy_down_weighted(fitted->noisy_down_weighted);
  *info.mutable_fitted_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  if (fitted->ops) {
    info.set_op_sample_count(fitted->op_samples);
    info.set_op_fit_mape(fitted->op_fit_mape);
    for (const auto& [name, value] : fitted->ops->parameters()) (*info.mutable_parameters())[name] = value;
  }
  for (const auto& [name, value] : fitted->conv_intervals.parameters("interval.conv")) {
    (*info.mutable_parameters())[name] = value;
  }
  for (const auto& [name, value] : fitted->op_intervals.parameters("interval.op")) {
    (*info.mutable_parameters())[name] = value;
  }
  if (const auto& pooled = fitted->conv_intervals.pooled()) {
    metrics_.ObserveInterval(platform, "conv", pooled->lower, pooled->upper);
  }
  if (const auto& pooled = fitted->op_intervals.pooled()) {
    metrics_.ObserveInterval(platform, "op", pooled->lower, pooled->upper);
  }
  snapshot->conv_intervals = std::move(fitted->conv_intervals);
  snapshot->op_intervals = std::move(fitted->op_intervals);
  snapshot->model = std::move(fitted->conv);
  snapshot->op_model = std::move(fitted->ops);
  snapshot->hot_model = std::move(fitted->hot_conv);
  snapshot->hot_op_model = std::move(fitted->hot_ops);
  snapshot->measured = std::move(fitted->measured);
  (*info.mutable_parameters())["measured.configurations"] = static_cast<double>(snapshot->measured.size());
  if (fitted->hot_samples > 0) (*info.mutable_parameters())["hot.samples"] = static_cast<double>(fitted->hot_samples);
  if (described.ok()) snapshot->platform = *described;
  snapshot->device = model::DeviceSpecOf(snapshot->platform, *snapshot->model);
  if (!snapshot->op_model) {
    // What the ops of a network will be estimated from (spec-roofline), for GetPlatformModel's readers.
    (*info.mutable_parameters())["spec.memory_bandwidth_gbps"] = snapshot->device.memory_bandwidth_gbps;
    (*info.mutable_parameters())["spec.peak_fp32_gflops"] = snapshot->device.peak_gflops;
    (*info.mutable_parameters())["spec.launch_floor_us"] = snapshot->device.launch_floor_us;
  }
  info.set_fit_seconds(elapsed_seconds());

  metrics_.ObserveRefit(platform, true, info.fit_seconds(), info.sample_count(), info.fit_mape());
  spdlog::info("platform '{}': fitted {} on {} samples in {:.3f}s, in-sample MAPE {:.1f}% (ops: {} samples, {:.1f}%)",
               platform, info.model_kind(), info.sample_count(), info.fit_seconds(), info.fit_mape(),
               info.op_sample_count(), info.op_fit_mape());
  Publish(platform, std::move(snapshot));
  // The platforms served a transfer may have had this one as a source, or may gain it as one.
  RequestTransferredRefits();
  return absl::OkStatus();
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

absl::Status ModelRegistry::RefitTransferred(const std::string& platform, const v1::Platform& described,
                                             const model::TransferSpec& spec,
                                             const std::vector<v1::Measurement>& measurements,
                                             const std::vector<model::Sample>& samples, int64_t successful) {
  absl::StatusOr<std::shared_ptr<const SourceTransfer>> transfer = transfer_sources_.For(store_, platform);
  if (!transfer.ok()) {
    absl::MutexLock lock(&models_mutex_);
    fit_errors_[platform] = std::string(transfer.status().message());
    return transfer.status();
  }
  const auto start = std::chrono::steady_clock::now();
  // With a few dozen layers of its own, the platform's own fit on them is blended in.
  std::unique_ptr<const model::LatencyModel> own;
  model::PredictionIntervals intervals = (*transfer)->intervals;
  if (samples.size() >= static_cast<size_t>(kOwnLayersToBlend)) {
    absl::StatusOr<std::unique_ptr<model::LatencyModel>> fitted =
        model::FitLatencyModel(samples, model::HardwareOf(described));
    if (fitted.ok()) {
      own = *std::move(fitted);
      model::PredictionIntervals blended = BlendIntervals(**transfer, spec, model::HardwareOf(described), samples);
      if (blended.calibrated()) intervals = std::move(blended);
    }
  }
  std::unique_ptr<const model::LatencyModel> served =
      model::TransferredOrBlended((*transfer)->model, spec, samples, std::move(own));
  auto snapshot = std::make_shared<FittedModel>();
  snapshot->transferred = true;
  v1::PlatformModel& info = snapshot->info;
  info.set_platform(platform);
  info.set_model_kind(served->kind());
  info.set_sample_count(static_cast<int64_t>(samples.size()));
  info.set_measurements_seen(successful);
  info.set_transferred(true);
  for (const std::string& source : (*transfer)->model->source_names()) info.add_transferred_from(source);
  info.set_transfer_target_layers(static_cast<int32_t>(samples.size()));
  if (!samples.empty()) {
    const model::ErrorSummary errors = model::ErrorsOn(*served, samples);
    info.set_fit_mape(errors.mape);
    info.set_fit_rmspe(errors.rmspe);
  }
  for (const auto& [name, value] : served->parameters()) (*info.mutable_parameters())[name] = value;
  for (const auto& [name, value] : intervals.parameters("interval.conv")) {
    (*info.mutable_parameters())[name] = value;
  }
  (*info.mutable_parameters())["transfer.fit_seconds"] = (*transfer)->fit_seconds;
  *info.mutable_fitted_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  snapshot->conv_intervals = std::move(intervals);
  snapshot->platform = described;
  snapshot->model = std::move(served);
  snapshot->measured = model::MeasuredLayers::FromMeasurements(measurements);
  (*info.mutable_parameters())["measured.configurations"] = static_cast<double>(snapshot->measured.size());
  snapshot->device = model::DeviceSpecOf(snapshot->platform, *snapshot->model);
  (*info.mutable_parameters())["spec.memory_bandwidth_gbps"] = snapshot->device.memory_bandwidth_gbps;
  (*info.mutable_parameters())["spec.peak_fp32_gflops"] = snapshot->device.peak_gflops;
  (*info.mutable_parameters())["spec.launch_floor_us"] = snapshot->device.launch_floor_us;
  info.set_fit_seconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (const auto& pooled = snapshot->conv_intervals.pooled()) {
    metrics_.ObserveInterval(platform, "conv", pooled->lower, pooled->upper);
  }
  metrics_.ObserveRefit(platform, true, info.fit_seconds(), info.sample_count(), info.fit_mape());
  spdlog::info("platform '{}': serving the {} model, {}", platform, info.model_kind(),
               model::TransferDescription(*snapshot->model));
  Publish(platform, std::move(snapshot));
  return absl::OkStatus();
}

std::shared_ptr<const FittedModel> ModelRegistry::Get(const std::string& platform) const {
  absl::MutexLock lock(&models_mutex_);
  auto it = models_.find(platform);
  return it == models_.end() ? nullptr : it->second;
}

std::string ModelRegistry::LastFitError(const std::string& platform) const {
  absl::MutexLock lock(&models_mutex_);
  auto it = fit_errors_.find(platform);
  return it == fit_errors_.end() ? "" : it->second;
}

}  // namespace convlat::server
