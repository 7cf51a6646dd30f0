#pragma once
// The transfer model the server fits from its own store, for GPUs with too few measurements of
// their own (model/transfer/): every other GPU platform that has a complete spec and enough
// measurements for its own fit is a source. Fitted on the registry's worker thread, never on a
// query, and kept while the sources and their measurement counts stay the same.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "model/interval/prediction_interval.h"
#include "model/interval/training_domain.h"
#include "model/transfer/transfer_model.h"
#include "server/fitted_model.h"
#include "server/measurement_store.h"

namespace convlat::server {

// A GPU platform with fewer convolution layers of its own than this is served the transfer model
// (refined with the layers it has, blended with its own fit from kOwnLayersToBlend); from this many
// on, its own fit (still blended below kOwnLayersWithoutTransfer). Sources need as many.
inline constexpr int kOwnLayersForOwnFit = 100;
// From this many layers of its own, what a GPU with a complete spec is served blends its own fit
// with the transfer (model/transfer/blended_latency_model.h); from kOwnLayersWithoutTransfer on,
// its own fit alone.
inline constexpr int kOwnLayersToBlend = 25;
inline constexpr int kOwnLayersWithoutTransfer = 1000;

struct SourceTransfer {
  std::shared_ptr<const model::TransferModel> model;
  // The 80 % zero-shot intervals for `target`: the quantiles of how far the transfer's trees were off
  // on each source GPU timed like it when that GPU was left out (model::ResidualsLike).
  model::PredictionIntervals ZeroShotIntervals(const model::TransferSpec& target) const;
  // The layers the sources measured: a transferred prediction of a layer unlike any of them is an
  // extrapolation (model/interval/training_domain.h).
  model::TrainingDomain domain;
  double fit_seconds = 0;
};

// The model a platform is served now (null: none yet): ModelRegistry::Get.
using PublishedModels = std::function<std::shared_ptr<const FittedModel>(const std::string& platform)>;

class TransferSources {
 public:
  // The transfer for `target` (never one of its own sources). FAILED_PRECONDITION when no other GPU
  // platform qualifies as a source. Each source's own model (for the stacked few-shot correction)
  // is the one `published` serves for it when that is its own fit on the same measurements, and is
  // fitted here otherwise.
  absl::StatusOr<std::shared_ptr<const SourceTransfer>> For(MeasurementStore& store, const std::string& target,
                                                            const PublishedModels& published = nullptr)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // How many source sets are kept fitted (tests).
  size_t cached_source_sets() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  struct Cached {
    absl::flat_hash_map<std::string, int64_t> counts;  // each source's measurements when fitted
    std::shared_ptr<const SourceTransfer> transfer;
  };

  mutable absl::Mutex mutex_;  // held across a fit: only the registry's worker (or a test) fits
  // By sources key ("name:count,..." of the sources): each target leaves itself out, so platforms
  // blending their own fit (which may be sources of each other) need different source sets. A few
  // are kept; a set one of whose sources has measured more since is dropped when the next is
  // fitted (it would never be asked for again, and its sources' models it holds are outdated).
  absl::flat_hash_map<std::string, Cached> cached_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace convlat::server
