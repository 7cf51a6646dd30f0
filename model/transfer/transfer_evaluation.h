#pragma once
// Leave-one-GPU-out evaluation of the transfer model: each GPU in turn is the target, the model is
// fitted on the others and judged on the target's layers with 0 (zero-shot) and a few of its own
// layers (few-shot). The result is a plain matrix (rows, columns, values) that convlat-eval prints
// as Markdown and a plot can draw as a heatmap.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/interval/interval_calibration.h"
#include "model/latency/latency_model.h"
#include "model/transfer/transfer_model.h"

namespace convlat::model {

struct TransferEvaluationOptions {
  std::vector<int> target_layers = {0, 25, 50, 100, 200, 500};  // few-shot sizes; 0 is zero-shot
  int subsets = 3;  // random draws of the target's refinement layers per size, MAPE averaged over them
  // Its held_out_samples_per_source sizes the leave-one-source-out fits behind the zero-shot
  // interval and the rule's share (one per remaining source, per target).
  TransferOptions transfer;
  // The platform's own fit on its few layers (the server's FitLatencyModel), when given: what the
  // server serves at a few-shot size is then the blend of the two (blended_latency_model.h), and
  // the matrix scores that, and each of the two alone in columns of their own.
  std::function<absl::StatusOr<std::unique_ptr<LatencyModel>>(const std::vector<Sample>&, const HardwareInfo&)> own_fit;
  // What the blend's interval calibration fits in each fold, given the kind own_fit chose on all
  // the target's layers (the server's ConvFitterOfKind: that kind, without choosing again per
  // fold); own_fit itself when unset.
  std::function<ConvFitter(const std::string& kind, const HardwareInfo&)> own_fit_of_kind;
  // With own_fit: what the server serves a GPU that measured one kind of layer only (the top-level
  // RouteNewKindsToTransfer: its own fit `own` on `samples`, the other kinds from the transfer),
  // scored on each target's 3x3 stride-1 layers (what the NeuSight GPUs measured, the commonest
  // kind in CNNs) as its only ones, judged on all its other layers.
  std::function<std::unique_ptr<const LatencyModel>(
      std::unique_ptr<const LatencyModel> own, const std::vector<Sample>& samples,
      std::shared_ptr<const TransferModel> transfer, const TransferSpec& target)>
      route_new_kinds;
};

// One row per target, one column per entry of target_layers ("MAPE % at N layers": what the server
// serves with N layers of the target) and then "80 % interval coverage %" (zero-shot interval from
// the other sources' leave-one-out residuals), "rule share (zero-shot)" (the share of Habitat's rule
// the sources chose for targets like it, internal/scaled_sources.h). With an own fit, then per few-shot size "transfer
// alone at N" and "own fit at N" (MAPE %), and "80 % interval coverage at N" (%: the served blend's
// intervals, calibrated on its held-out residuals on the N layers, as the server does). With
// route_new_kinds, then "new kinds: own fit" and "new kinds: routed" (MAPE % on the target's layers
// other than 3x3 stride 1, its own fit fitted on those alone, then served as the server does), NaN
// where the target has no other kinds or too few 3x3 stride-1 layers.
// NaN where a value could not be computed (a target with too few layers for a subset).
struct TransferMatrix {
  std::vector<std::string> rows;            // target platform names
  std::vector<std::string> columns;         // column titles
  std::vector<std::vector<double>> values;  // values[row][column]
  std::vector<std::string> sources;         // per row: the source set used ("gpu-k40-justus, ...")
  std::vector<int> target_samples;          // per row: the target's layers in the data
};

// `platforms` with at least two entries; each is the target once, the others its sources.
TransferMatrix EvaluateTransfer(const std::vector<TransferSource>& platforms,
                                const TransferEvaluationOptions& options = {});

}  // namespace convlat::model
