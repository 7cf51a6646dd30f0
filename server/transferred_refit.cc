#include "server/transferred_refit.h"

#include <chrono>
#include <utility>

#include "google/protobuf/util/time_util.h"
#include "model/interval/training_domain.h"
#include "model/latency/samples.h"
#include "model/latency/spec_roofline.h"
#include "model/serving_model.h"
#include "model/transfer/blended_latency_model.h"
#include "server/served_snapshot.h"
#include "spdlog/spdlog.h"

namespace convlat::server {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

std::string ServedPathOf(const FittedModel& snapshot) {
  if (snapshot.transferred) {
    return snapshot.info.model_kind() == "transfer" ? "the transfer" : "the transfer blended with its own fit";
  }
  return snapshot.info.transferred_from_size() > 0 ? "its own fit blended with the transfer" : "its own fit";
}

model::ConvFitter BlendedOwnFitter(const SourceTransfer& transfer, const model::TransferSpec& spec,
                                   const model::ConvFitter& own_fit, std::optional<double> own_weight) {
  return model::BlendedFitter(transfer.model, spec, own_fit, own_weight);
}

std::shared_ptr<FittedModel> TransferredSnapshot(const SourceTransfer& transfer, const TransferTarget& target) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<model::Sample> samples = model::SamplesFromMeasurements(target.measurements);
  const model::HardwareInfo hardware = model::HardwareOf(target.described);
  // With a few dozen layers of its own, the platform's own fit on them is blended in, and the
  // blend's held-out residuals on them replace the transfer's leave-one-GPU-out intervals.
  std::unique_ptr<const model::LatencyModel> own;
  std::optional<double> own_weight;  // the own fit's share of the blend, cross-validated
  model::PredictionIntervals intervals = transfer.ZeroShotIntervals(target.spec);
  if (samples.size() >= static_cast<size_t>(kOwnLayersToBlend)) {
    absl::StatusOr<std::unique_ptr<model::LatencyModel>> fitted = model::FitLatencyModel(samples, hardware);
    if (fitted.ok()) {
      own = *std::move(fitted);
      // Each fold fits the kind chosen on all the layers: choosing again per fold (five more fits
      // of each kind inside each) would cost three times as much for the same intervals' purpose.
      const model::ConvFitter own_fit = model::ConvFitterOfKind(own->kind(), hardware);
      own_weight = model::ChooseOwnFitWeight(transfer.model, target.spec, samples, own_fit);
      model::PredictionIntervals blended =
          model::CalibrateConvIntervals(samples, BlendedOwnFitter(transfer, target.spec, own_fit, own_weight));
      if (blended.calibrated()) intervals = std::move(blended);
    }
  }
  // Outside what the sources and the platform measured, a layer is an extrapolation.
  model::TrainingDomain domain = transfer.domain;
  domain.Add(samples);
  std::unique_ptr<const model::LatencyModel> served = std::make_unique<model::DomainCheckedModel>(
      model::TransferredOrBlended(transfer.model, target.spec, samples, std::move(own), own_weight), std::move(domain));
  auto snapshot = std::make_shared<FittedModel>();
  snapshot->transferred = true;
  v1::PlatformModel& info = snapshot->info;
  info.set_platform(target.platform);
  info.set_model_kind(served->kind());
  info.set_sample_count(static_cast<int64_t>(samples.size()));
  info.set_measurements_seen(target.successful);
  info.set_transferred(true);
  for (const std::string& source : transfer.model->source_names()) info.add_transferred_from(source);
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
  (*info.mutable_parameters())["transfer.fit_seconds"] = transfer.fit_seconds;
  *info.mutable_fitted_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  snapshot->conv_intervals = std::move(intervals);
  snapshot->platform = target.described;
  snapshot->model = std::move(served);
  snapshot->measured = model::MeasuredLayers::FromMeasurements(target.measurements);
  snapshot->own_domain = model::TrainingDomain::Of(samples);
  (*info.mutable_parameters())["measured.configurations"] = static_cast<double>(snapshot->measured.size());
  snapshot->device = model::DeviceSpecOf(snapshot->platform, *snapshot->model);
  (*info.mutable_parameters())["spec.memory_bandwidth_gbps"] = snapshot->device.memory_bandwidth_gbps;
  (*info.mutable_parameters())["spec.peak_fp32_gflops"] = snapshot->device.peak_gflops;
  (*info.mutable_parameters())["spec.launch_floor_us"] = snapshot->device.launch_floor_us;
  info.set_fit_seconds(SecondsSince(start));
  return snapshot;
}

std::shared_ptr<FittedModel> RefitWithTransfer(const SourceTransfer& transfer, const TransferTarget& target) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<model::Sample> samples = model::SamplesFromMeasurements(target.measurements);
  if (samples.size() < static_cast<size_t>(kOwnLayersForOwnFit)) return TransferredSnapshot(transfer, target);
  const model::HardwareInfo hardware = model::HardwareOf(target.described);
  // The intervals are calibrated for the blend in the serving fit's one pass, not for the own fit
  // first and then again for the blend; the blend's share is chosen there, once, for both.
  std::optional<double> own_weight;
  absl::StatusOr<model::ServingModel> fitted =
      model::FitServingModel(target.measurements, hardware, [&](const model::ConvFitter& own_fit) {
        own_weight = model::ChooseOwnFitWeight(transfer.model, target.spec, samples, own_fit);
        return BlendedOwnFitter(transfer, target.spec, own_fit, own_weight);
      });
  if (!fitted.ok()) {
    spdlog::warn("platform '{}': its own fit on {} layers is not served ({}); the transfer serves instead",
                 target.platform, samples.size(), std::string(fitted.status().message()));
    return TransferredSnapshot(transfer, target);
  }
  if (!fitted->op_fit_error.empty()) {
    spdlog::warn("platform '{}': no op model: {}", target.platform, fitted->op_fit_error);
  }
  fitted->conv = model::TransferredOrBlended(transfer.model, target.spec, samples, std::move(fitted->conv), own_weight);
  // GetPlatformModel's in-sample errors are those of the blend it names, not of the own fit in it.
  fitted->conv_fit = model::ErrorsOn(*fitted->conv, samples);
  std::shared_ptr<FittedModel> snapshot =
      SnapshotOfServingModel(target.platform, target.described, *std::move(fitted), target.successful);
  for (const std::string& source : transfer.model->source_names()) snapshot->info.add_transferred_from(source);
  snapshot->info.set_transfer_target_layers(static_cast<int32_t>(samples.size()));
  snapshot->own_domain = model::TrainingDomain::Of(samples);
  snapshot->info.set_fit_seconds(SecondsSince(start));
  return snapshot;
}

}  // namespace convlat::server
