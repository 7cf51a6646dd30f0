#pragma once
// Serving a GPU from other GPUs' data: what a GPU with a complete spec and fewer than
// kOwnLayersWithoutTransfer convolution layers of its own is served, given the transfer fitted on
// the other GPUs (transfer_sources.h). Core functions of the fit alone, testable without the
// registry: no store, no threads, no metrics (ModelRegistry finds the transfer, observes and
// publishes the snapshot).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "convlat/v1/profiler.pb.h"
#include "convlat/v1/types.pb.h"
#include "model/interval/interval_calibration.h"
#include "model/transfer/transfer_spec.h"
#include "server/fitted_model.h"
#include "server/transfer_sources.h"

namespace convlat::server {

// The GPU a refit serves from the transfer.
struct TransferTarget {
  std::string platform;
  v1::Platform described;  // as registered, completed from its data sheet
  model::TransferSpec spec;
  const std::vector<v1::Measurement>& measurements;  // all of its own, convolutions and ops
  int64_t successful = 0;                            // of those, the ones that did not fail
};

// Which of the four ways a GPU is served the snapshot says (transfer_sources.h's thresholds): "the
// transfer", "the transfer blended with its own fit", "its own fit blended with the transfer",
// "its own fit". For the refit's log line.
std::string ServedPathOf(const FittedModel& snapshot);

// The snapshot of a GPU served the transfer (marked transferred): the transfer refined with its
// convolution layers, blended from kOwnLayersToBlend of them with its own fit on them, the
// intervals calibrated on the blend's held-out residuals (the transfer's leave-one-GPU-out ones
// before); every measurement it has is answered as measured.
std::shared_ptr<FittedModel> TransferredSnapshot(const SourceTransfer& transfer, const TransferTarget& target);

// What a GPU with fewer than kOwnLayersWithoutTransfer convolution layers of its own is served:
// below kOwnLayersForOwnFit, TransferredSnapshot; from there its own serving fit
// (model/serving_model.h) blended with the transfer, its conv intervals calibrated once, on the
// blend's held-out residuals; TransferredSnapshot again when no own fit is plausible.
// fit_seconds is what this took (the transfer's own fit is its parameter transfer.fit_seconds).
std::shared_ptr<FittedModel> RefitWithTransfer(const SourceTransfer& transfer, const TransferTarget& target);

// How RefitWithTransfer serves a GPU's own fit on `train`: `own_fit` (the kind its own serving
// fit chose, fitted without choosing again) blended with the transfer refined on the same layers,
// at `own_weight` (the served blend's cross-validated share; without one, the rule's).
// What its conv intervals are calibrated with (interval_calibration.h).
model::ConvFitter BlendedOwnFitter(const SourceTransfer& transfer, const model::TransferSpec& spec,
                                   const model::ConvFitter& own_fit, std::optional<double> own_weight);

}  // namespace convlat::server
