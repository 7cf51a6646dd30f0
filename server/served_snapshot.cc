#include "server/served_snapshot.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/time_util.h"
#include "model/latency/spec_roofline.h"
#include "model/layers/conv_spec.h"

namespace convlat::server {

std::shared_ptr<FittedModel> SnapshotOfServingModel(const std::string& platform,
                                                    const std::optional<v1::Platform>& described,
                                                    model::ServingModel fitted, int64_t successful) {
  auto snapshot = std::make_shared<FittedModel>();
  v1::PlatformModel& info = snapshot->info;
  info.set_platform(platform);
  info.set_model_kind(fitted.conv->kind());
  info.set_sample_count(fitted.conv_samples);
  info.set_measurements_seen(successful);
  info.set_fit_mape(fitted.conv_fit.mape);
  info.set_fit_rmspe(fitted.conv_fit.rmspe);
  for (const auto& [name, value] : fitted.conv->parameters()) (*info.mutable_parameters())[name] = value;
  for (const model::RejectedFit& rejected : fitted.rejected) {
    v1::RejectedModel& out = *info.add_rejected_models();
    out.set_model(rejected.model);
    out.set_check(rejected.check);
    out.set_reason(rejected.reason);
    out.set_fallback(rejected.fallback);
  }
  info.set_noisy_left_out(fitted.noisy_left_out);
  info.set_noisy_down_weighted(fitted.noisy_down_weighted);
  *info.mutable_fitted_at() = google::protobuf::util::TimeUtil::GetCurrentTime();
  if (fitted.ops) {
    info.set_op_sample_count(fitted.op_samples);
    info.set_op_fit_mape(fitted.op_fit_mape);
    for (const auto& [name, value] : fitted.ops->parameters()) (*info.mutable_parameters())[name] = value;
  }
  for (const auto& [name, value] : fitted.conv_intervals.parameters("interval.conv")) {
    (*info.mutable_parameters())[name] = value;
  }
  for (const auto& [name, value] : fitted.op_intervals.parameters("interval.op")) {
    (*info.mutable_parameters())[name] = value;
  }
  snapshot->conv_intervals = std::move(fitted.conv_intervals);
  snapshot->op_intervals = std::move(fitted.op_intervals);
  snapshot->model = std::move(fitted.conv);
  snapshot->op_model = std::move(fitted.ops);
  snapshot->hot_model = std::move(fitted.hot_conv);
  snapshot->hot_op_model = std::move(fitted.hot_ops);
  snapshot->measured = std::move(fitted.measured);
  (*info.mutable_parameters())["measured.configurations"] = static_cast<double>(snapshot->measured.size());
  if (fitted.hot_samples > 0) (*info.mutable_parameters())["hot.samples"] = static_cast<double>(fitted.hot_samples);
  if (described) snapshot->platform = *described;
  snapshot->device = model::DeviceSpecOf(snapshot->platform, *snapshot->model);
  for (const auto& [layout, kept] : snapshot->device.hot_gain_kept) {
    (*info.mutable_parameters())[absl::StrCat("cache.hot_gain_kept.", model::LayoutName(layout))] = kept;
  }
  if (!snapshot->op_model) {
    // What the ops of a network will be estimated from (spec-roofline), for GetPlatformModel's readers.
    (*info.mutable_parameters())["spec.memory_bandwidth_gbps"] = snapshot->device.memory_bandwidth_gbps;
    (*info.mutable_parameters())["spec.peak_fp32_gflops"] = snapshot->device.peak_gflops;
    (*info.mutable_parameters())["spec.launch_floor_us"] = snapshot->device.launch_floor_us;
  }
  return snapshot;
}

}  // namespace convlat::server
