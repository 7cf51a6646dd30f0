#pragma once
// The server's Prometheus metrics. Names follow Prometheus conventions (base units, _total).

#include <chrono>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace convlat::server {

class ServerMetrics {
 public:
  ServerMetrics();

  std::shared_ptr<prometheus::Registry> registry() const { return registry_; }

  void ObserveRequest(absl::string_view method, grpc::StatusCode code, double seconds);
  void AddPredictions(const std::string& platform, int64_t count);
  // Predictions of a platform served by the transfer model (too few measurements of its own), also
  // counted in AddPredictions.
  void AddTransferredPredictions(const std::string& platform, int64_t count);
  // Predictions of layers outside what the platform measured (Explanation.extrapolation), also
  // counted in AddPredictions: how often users ask about layers nobody timed there.
  void AddExtrapolatedPredictions(const std::string& platform, int64_t count);
  void AddIngested(const std::string& platform, int64_t count);
  // Measurements an admin call retired or purged (`change`: "retired", "purged").
  void AddAdminChange(const std::string& platform, const std::string& change, int64_t count);
  void ObserveRefit(const std::string& platform, bool ok, double seconds, int64_t samples, double fit_mape);
  // A fit the plausibility checks refused to serve (`check`: which one failed).
  void AddRejectedModel(const std::string& platform, const std::string& model, const std::string& check);
  // The pooled 80 % interval of a platform's model (`model`: conv or op) as multipliers of a
  // prediction: how wide the intervals it serves are.
  void ObserveInterval(const std::string& platform, const std::string& model, double p10_ratio, double p90_ratio);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Counter>& predictions_;
  prometheus::Family<prometheus::Counter>& transferred_predictions_;
  prometheus::Family<prometheus::Counter>& extrapolated_predictions_;
  prometheus::Family<prometheus::Counter>& ingested_;
  prometheus::Family<prometheus::Counter>& admin_changes_;
  prometheus::Family<prometheus::Counter>& refits_;
  prometheus::Family<prometheus::Histogram>& refit_seconds_;
  prometheus::Family<prometheus::Gauge>& samples_;
  prometheus::Family<prometheus::Gauge>& fit_mape_;
  prometheus::Family<prometheus::Counter>& rejected_models_;
  prometheus::Family<prometheus::Gauge>& interval_ratio_;
};

// Times one RPC and records it when finished: `return timer.Finish(status);`.
class RequestTimer {
 public:
  RequestTimer(ServerMetrics& metrics, absl::string_view method)
      : metrics_(metrics), method_(method), start_(std::chrono::steady_clock::now()) {}
  grpc::Status Finish(grpc::Status status) {
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
    metrics_.ObserveRequest(method_, status.error_code(), elapsed.count());
    return status;
  }

 private:
  ServerMetrics& metrics_;
  absl::string_view method_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace convlat::server
