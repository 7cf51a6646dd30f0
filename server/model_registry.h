#pragma once
// The fitted model of every platform, refitted in the background after new measurements.
// Queries read an immutable snapshot through a shared_ptr, so they never wait for a fit and
// always see a complete model: a refit builds a new snapshot and swaps the pointer.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "convlat/v1/latency.pb.h"
#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"
#include "server/measurement_store.h"
#include "server/server_metrics.h"

namespace convlat::server {

struct FittedModel {
  std::unique_ptr<const model::LatencyModel> model;
  std::optional<model::OpLatencyModel> op_model;  // none when the platform has no op measurements
  v1::PlatformModel info;  // what GetPlatformModel returns
  v1::Platform platform;   // the device as registered when the model was fitted
};

class ModelRegistry {
 public:
  // With a positive `store_sync_interval`, the worker also checks the store that often and
  // refits platforms whose measurements changed behind its back: replicas sharing a PostgreSQL
  // store learn of each other's ingests this way.
  ModelRegistry(MeasurementStore& store, ServerMetrics& metrics,
                std::chrono::milliseconds store_sync_interval = std::chrono::milliseconds(0));
  ~ModelRegistry();  // stops the background worker after the fit in progress

  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  // Queues a background refit of every stored platform (used at start-up).
  absl::Status RefitAllInBackground();
  // Queues a background refit; repeated requests before the fit starts coalesce into one.
  void RequestRefit(const std::string& platform);
  // Fits now, on the calling thread, and publishes the result.
  absl::Status Refit(const std::string& platform);
  // Blocks until no refit is queued or running (tests and orderly shutdown).
  void WaitUntilIdle();

  // The current model, or null when the platform has none yet.
  std::shared_ptr<const FittedModel> Get(const std::string& platform) const;
  // Why the platform has no model (empty when it has one or was never fitted).
  std::string LastFitError(const std::string& platform) const;

 private:
  void WorkerLoop();
  // Queues every platform whose count of successful measurements differs from the one its
  // model (or its last failed fit) saw.
  void QueueChangedPlatforms();

  MeasurementStore& store_;
  ServerMetrics& metrics_;

  mutable std::mutex models_mutex_;  // guards models_ and fit_errors_; held only to copy pointers
  absl::flat_hash_map<std::string, std::shared_ptr<const FittedModel>> models_;
  absl::flat_hash_map<std::string, std::string> fit_errors_;
  absl::flat_hash_map<std::string, int64_t> versions_;
  absl::flat_hash_map<std::string, int64_t> fitted_counts_;  // successful measurements at the last fit

  const std::chrono::milliseconds store_sync_interval_;
  std::mutex queue_mutex_;
  std::condition_variable queue_changed_;
  std::set<std::string> pending_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread worker_;  // declared last: started after every member it uses exists
};

}  // namespace convlat::server
