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
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "model/latency/samples.h"
#include "model/transfer/transfer_spec.h"
#include "server/fitted_model.h"
#include "server/measurement_store.h"
#include "server/server_metrics.h"
#include "server/transfer_sources.h"
#include "server/transferred_refit.h"

namespace convlat::server {

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
  // Whether a fit of the platform is queued or running: a platform without a model yet will have
  // one in moments (seconds; a spec-only GPU waits for its source GPUs' own fits first), not after more profiling.
  bool FitQueuedOrRunning(const std::string& platform) const ABSL_LOCKS_EXCLUDED(queue_mutex_);

 private:
  void WorkerLoop() ABSL_LOCKS_EXCLUDED(queue_mutex_);
  // Observes a refit's snapshot (metrics, the log line saying which path served it) and publishes it.
  absl::Status PublishRefit(const std::string& platform, std::shared_ptr<FittedModel> snapshot)
      ABSL_LOCKS_EXCLUDED(models_mutex_, queue_mutex_);
  // Publishes a new snapshot under the next version.
  void Publish(const std::string& platform, std::shared_ptr<FittedModel> snapshot) ABSL_LOCKS_EXCLUDED(models_mutex_);
  // A GPU's own fit, alone or blended (`snapshot`, being refitted): the kinds of layer it never
  // measured answered by `transfer` (new_kind_routing.h). The caller checks BroaderGpuServed first;
  // while none is, that GPU's publication queues this one's refit again (RequestNarrowerRefits).
  // `samples`: the convolutions of its own the refit read (SamplesFromMeasurements), fitted on.
  void RouteNewKindsOfOwnFit(const std::string& platform, const std::vector<model::Sample>& samples,
                             const model::TransferSpec& spec, const SourceTransfer& transfer, FittedModel& snapshot);
  // Whether a platform other than `platform` served now measured kinds `snapshot` lacks
  // (MeasuredKindsBeyond).
  bool BroaderGpuServed(const std::string& platform, const FittedModel& snapshot) const
      ABSL_LOCKS_EXCLUDED(models_mutex_);
  // Queues a refit of every GPU served its own fit without the transfer for kinds it never
  // measured, when `published` (the own fit just published by `platform`) measured such kinds.
  void RequestNarrowerRefits(const std::string& platform, const FittedModel& published)
      ABSL_LOCKS_EXCLUDED(models_mutex_, queue_mutex_);
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
  mutable absl::Mutex queue_mutex_;  // the refit queue, shared by requesters and the worker
  std::set<std::string> pending_ ABSL_GUARDED_BY(queue_mutex_);
  bool busy_ ABSL_GUARDED_BY(queue_mutex_) = false;
  std::string fitting_ ABSL_GUARDED_BY(queue_mutex_);  // the platform the worker is fitting, if busy_
  bool stopping_ ABSL_GUARDED_BY(queue_mutex_) = false;
  std::thread worker_;  // declared last: started after every member it uses exists
};

}  // namespace convlat::server
