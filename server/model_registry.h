#pragma once
// The fitted model of every platform, refitted in the background after new measurements.
// Queries read an immutable snapshot through a shared_ptr, so they never wait for a fit and
// always see a complete model: a refit builds a new snapshot and swaps the pointer.

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "convlat/v1/latency.pb.h"
#include "model/interval/prediction_interval.h"
#include "model/latency/latency_model.h"
#include "model/latency/op_model.h"
#include "model/latency/spec_roofline.h"
#include "model/measured/measured_layers.h"
#include "server/measurement_store.h"
#include "server/server_metrics.h"
#include "server/transfer_sources.h"

namespace convlat::server {

struct FittedModel {
  std::unique_ptr<const model::LatencyModel> model;
  std::optional<model::OpLatencyModel> op_model;  // none when the platform has no op measurements
  // Fitted to the hot timings (CPU agents): null / none without them; network predictions then
  // keep every layer evicted.
  std::unique_ptr<const model::LatencyModel> hot_model;
  std::optional<model::OpLatencyModel> hot_op_model;
  v1::PlatformModel info;                     // what GetPlatformModel returns
  v1::Platform platform;                      // the device as registered when the model was fitted,
                                              // completed from its data sheet (gpu_specs.h)
  model::DeviceSpec device;                   // its peaks, for the ops no measurement covers
  model::PredictionIntervals conv_intervals;  // 80 % intervals, calibrated on held-out layers
  model::PredictionIntervals op_intervals;
  model::MeasuredLayers measured;  // the platform's own configurations, answered as measured
  // Served the transfer model (transfer_sources.h): the platform has too few measurements of its
  // own. Every prediction from it is marked transferred; its ops come from the spec roofline.
  bool transferred = false;
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
  void RequestRefit(const std::string& platform) ABSL_LOCKS_EXCLUDED(queue_mutex_);
  // Fits now, on the calling thread, and publishes the result.
  absl::Status Refit(const std::string& platform) ABSL_LOCKS_EXCLUDED(models_mutex_);
  // Blocks until no refit is queued or running (tests and orderly shutdown).
  void WaitUntilIdle() ABSL_LOCKS_EXCLUDED(queue_mutex_);

  // The current model, or null when the platform has none yet.
  std::shared_ptr<const FittedModel> Get(const std::string& platform) const ABSL_LOCKS_EXCLUDED(models_mutex_);
  // Why the platform has no model (empty when it has one or was never fitted).
  std::string LastFitError(const std::string& platform) const ABSL_LOCKS_EXCLUDED(models_mutex_);

 private:
  void WorkerLoop() ABSL_LOCKS_EXCLUDED(queue_mutex_);
  // Serves `platform` the transfer model refined with its own `samples` (blended with its own fit
  // on them from kOwnLayersToBlend of them); FAILED_PRECONDITION when there is nothing to transfer
  // from.
  // Its own `measurements` (those `samples` came from) are answered as measured.
  absl::Status RefitTransferred(const std::string& platform, const v1::Platform& described,
                                const model::TransferSpec& spec, const std::vector<v1::Measurement>& measurements,
                                const std::vector<model::Sample>& samples, int64_t successful)
      ABSL_LOCKS_EXCLUDED(models_mutex_);
  // Publishes a new snapshot under the next version.
  void Publish(const std::string& platform, std::shared_ptr<FittedModel> snapshot) ABSL_LOCKS_EXCLUDED(models_mutex_);
  // Queues a refit of every platform served a transfer, whose sources may just have changed.
  void RequestTransferredRefits() ABSL_LOCKS_EXCLUDED(models_mutex_, queue_mutex_);
  // Queues every platform whose count of successful measurements differs from the one its
  // model (or its last failed fit) saw.
  void QueueChangedPlatforms() ABSL_LOCKS_EXCLUDED(queue_mutex_, models_mutex_);
  // What the worker and WaitUntilIdle wait for (absl::Mutex re-checks them whenever the queue's
  // lock is released, so no condition variable needs notifying).
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) { return stopping_ || !pending_.empty(); }
  bool IdleOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mutex_) {
    return stopping_ || (pending_.empty() && !busy_);
  }

  MeasurementStore& store_;
  ServerMetrics& metrics_;

  // Held only to copy pointers and counters, never during a fit.
  mutable absl::Mutex models_mutex_;
  absl::flat_hash_map<std::string, std::shared_ptr<const FittedModel>> models_ ABSL_GUARDED_BY(models_mutex_);
  absl::flat_hash_map<std::string, std::string> fit_errors_ ABSL_GUARDED_BY(models_mutex_);
  absl::flat_hash_map<std::string, int64_t> versions_ ABSL_GUARDED_BY(models_mutex_);
  // Successful measurements at the last fit.
  absl::flat_hash_map<std::string, int64_t> fitted_counts_ ABSL_GUARDED_BY(models_mutex_);

  TransferSources transfer_sources_;

  const std::chrono::milliseconds store_sync_interval_;
  absl::Mutex queue_mutex_;  // the refit queue, shared by requesters and the worker
  std::set<std::string> pending_ ABSL_GUARDED_BY(queue_mutex_);
  bool busy_ ABSL_GUARDED_BY(queue_mutex_) = false;
  bool stopping_ ABSL_GUARDED_BY(queue_mutex_) = false;
  std::thread worker_;  // declared last: started after every member it uses exists
};

}  // namespace convlat::server
