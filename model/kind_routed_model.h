#pragma once
// A GPU platform's own fit for the kinds of convolution it measured, the transfer for the kinds it
// did not. A GPU profiled with 3x3 stride-1 layers only (a partial sweep; the public NeuSight GPUs)
// has its own fit extrapolate to a network's 1x1, 7x7 and strided layers; other GPUs timed through
// the same framework may have measured such layers. The transfer (model/transfer/), refined on the
// platform's own layers and stacked over those sources, answers them instead: on the Justus GPUs,
// fitted on their 3x3 stride-1 layers alone and judged on all their other layers, 13.2-16.8 % MAPE
// against the own fits' 26.9-38.1 % (docs/accuracy.md, "Kinds a GPU never measured"). The NeuSight
// GPUs have no such source (PyTorch-timed, and no other PyTorch GPU measured more): their own fits
// still answer, marked as extrapolations.
//
// Such a layer is still outside what the platform measured: its explanation keeps the reason
// (Explanation.extrapolation), so it gets the assumed interval, and says it was transferred. A
// layer of a kind none of the stack's sources measured either (a grouped convolution beside GPUs
// that timed dense ones only) stays the own fit's: the transfer would extrapolate as much.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/interval/training_domain.h"
#include "model/latency/latency_model.h"
#include "model/latency/samples.h"
#include "model/transfer/transfer_model.h"
#include "model/transfer/transfer_spec.h"
#include "model/transfer/transferred_latency_model.h"

namespace convlat::model {

class KindRoutedModel final : public LatencyModel {
 public:
  // `source_domains`: what each GPU the transfer's stack runs over measured.
  KindRoutedModel(std::unique_ptr<const LatencyModel> own, TrainingDomain own_domain,
                  std::unique_ptr<const TransferredLatencyModel> transferred,
                  std::vector<TrainingDomain> source_domains);

  Prediction Predict(const ConvShape& shape) const override;
  LatencyParts PredictParts(const ConvShape& shape) const override;
  // The own fit's: it answers every kind the platform measured.
  std::string kind() const override { return own_->kind(); }
  // The own fit's, and the transfer's for the other kinds under "new_kinds.".
  std::map<std::string, double> parameters() const override;

  const LatencyModel& own() const { return *own_; }
  const TransferredLatencyModel& transferred() const { return *transferred_; }

 private:
  // Whether the transfer answers `shape`: a kind the platform never measured and a source did.
  bool Transferred(const ConvShape& shape) const;

  std::unique_ptr<const LatencyModel> own_;
  TrainingDomain own_domain_;
  std::unique_ptr<const TransferredLatencyModel> transferred_;
  std::vector<TrainingDomain> source_domains_;
  std::string transfer_text_;  // each routed layer's Explanation.transfer
};

// `own`, the platform's own fit on `samples`, with the layers of kinds none of them is answered by
// `transfer` refined on them and stacked over SourcesMeasuringKindsBeyond; `own` itself when no
// source measured a kind the samples lack, or the transfer has no source models to stack.
std::unique_ptr<const LatencyModel> RouteNewKindsToTransfer(std::unique_ptr<const LatencyModel> own,
                                                            const std::vector<Sample>& samples,
                                                            std::shared_ptr<const TransferModel> transfer,
                                                            const TransferSpec& target);

}  // namespace convlat::model
