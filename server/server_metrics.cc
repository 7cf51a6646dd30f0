#include "server/server_metrics.h"

#include "absl/status/status.h"

namespace convlat::server {
namespace {

// gRPC and absl share the canonical code numbers, and absl spells them as Prometheus labels want.
std::string CodeName(grpc::StatusCode code) { return absl::StatusCodeToString(static_cast<absl::StatusCode>(code)); }

// Request latencies from 50 µs (a cached single-layer Predict) to 10 s (a large push).
prometheus::Histogram::BucketBoundaries RequestBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

}  // namespace

ServerMetrics::ServerMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("convlat_requests_total")
                    .Help("gRPC requests handled, by method and status code")
                    .Register(*registry_)),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("convlat_request_duration_seconds")
                           .Help("gRPC request handling time, by method")
                           .Register(*registry_)),
      predictions_(prometheus::BuildCounter()
                       .Name("convlat_predictions_total")
                       .Help("Layer latency predictions served, by platform")
                       .Register(*registry_)),
      transferred_predictions_(prometheus::BuildCounter()
                                   .Name("convlat_transferred_predictions_total")
                                   .Help("Layer predictions transferred from other GPUs (platforms with too few "
                                         "measurements of their own), by platform")
                                   .Register(*registry_)),
      extrapolated_predictions_(prometheus::BuildCounter()
                                    .Name("convlat_extrapolated_predictions_total")
                                    .Help("Layer predictions outside what the platform measured (a filter, stride, "
                                          "grouping or size it never timed), by platform")
                                    .Register(*registry_)),
      ingested_(prometheus::BuildCounter()
                    .Name("convlat_measurements_ingested_total")
                    .Help("Measurements stored, by platform")
                    .Register(*registry_)),
      admin_changes_(prometheus::BuildCounter()
                         .Name("convlat_admin_measurements_total")
                         .Help("Measurements retired or purged by admin calls, by platform and change")
                         .Register(*registry_)),
      refits_(prometheus::BuildCounter()
                  .Name("convlat_model_refits_total")
                  .Help("Model fits, by platform and result")
                  .Register(*registry_)),
      refit_seconds_(prometheus::BuildHistogram()
                         .Name("convlat_model_refit_duration_seconds")
                         .Help("Time to load a platform's measurements and fit its model")
                         .Register(*registry_)),
      samples_(prometheus::BuildGauge()
                   .Name("convlat_model_samples")
                   .Help("Successful measurements the platform's current model was fitted on")
                   .Register(*registry_)),
      fit_mape_(prometheus::BuildGauge()
                    .Name("convlat_model_fit_mape_percent")
                    .Help("Mean absolute percentage error of the current model on its samples")
                    .Register(*registry_)),
      rejected_models_(prometheus::BuildCounter()
                           .Name("convlat_models_rejected_total")
                           .Help("Fitted models not served because they were implausible for their own data, by "
                                 "platform, model (conv kind or op group) and the check that failed")
                           .Register(*registry_)),
      interval_ratio_(prometheus::BuildGauge()
                          .Name("convlat_model_interval_ratio")
                          .Help("Pooled 80 % prediction interval of the current model, as a multiple of the "
                                "prediction (bound p10 or p90), calibrated on held-out measurements")
                          .Register(*registry_)) {}

void ServerMetrics::ObserveRequest(absl::string_view method, grpc::StatusCode code, double seconds) {
  const std::string name(method);
  requests_.Add({{"method", name}, {"code", CodeName(code)}}).Increment();
  request_seconds_.Add({{"method", name}}, RequestBuckets()).Observe(seconds);
}

void ServerMetrics::AddPredictions(const std::string& platform, int64_t count) {
  predictions_.Add({{"platform", platform}}).Increment(static_cast<double>(count));
}

void ServerMetrics::AddTransferredPredictions(const std::string& platform, int64_t count) {
  transferred_predictions_.Add({{"platform", platform}}).Increment(static_cast<double>(count));
}

void ServerMetrics::AddExtrapolatedPredictions(const std::string& platform, int64_t count) {
  if (count > 0) extrapolated_predictions_.Add({{"platform", platform}}).Increment(static_cast<double>(count));
}

void ServerMetrics::AddIngested(const std::string& platform, int64_t count) {
  ingested_.Add({{"platform", platform}}).Increment(static_cast<double>(count));
}

void ServerMetrics::AddAdminChange(const std::string& platform, const std::string& change, int64_t count) {
  admin_changes_.Add({{"platform", platform}, {"change", change}}).Increment(static_cast<double>(count));
}

void ServerMetrics::ObserveRefit(const std::string& platform, bool ok, double seconds, int64_t samples,
                                 double fit_mape) {
  refits_.Add({{"platform", platform}, {"result", ok ? "ok" : "error"}}).Increment();
  refit_seconds_
      .Add({{"platform", platform}}, prometheus::Histogram::BucketBoundaries{0.001, 0.01, 0.1, 0.5, 1, 5, 10, 60})
      .Observe(seconds);
  if (!ok) return;
  samples_.Add({{"platform", platform}}).Set(static_cast<double>(samples));
  fit_mape_.Add({{"platform", platform}}).Set(fit_mape);
}

void ServerMetrics::AddRejectedModel(const std::string& platform, const std::string& model, const std::string& check) {
  rejected_models_.Add({{"platform", platform}, {"model", model}, {"check", check}}).Increment();
}

void ServerMetrics::ObserveInterval(const std::string& platform, const std::string& model, double p10_ratio,
                                    double p90_ratio) {
  interval_ratio_.Add({{"platform", platform}, {"model", model}, {"bound", "p10"}}).Set(p10_ratio);
  interval_ratio_.Add({{"platform", platform}, {"model", model}, {"bound", "p90"}}).Set(p90_ratio);
}

}  // namespace convlat::server
