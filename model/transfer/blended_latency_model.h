#pragma once
// A GPU's own fit and the transfer, blended while its own layers are few: the geometric mean of the
// two predictions, the own fit's share cross-validated on the platform's n layers and shrunk
// towards a rule, n / (n + kTransferWorthLayers) (CrossValidatedOwnFitWeight, OwnFitWeight).
// Neither alone is best between a few dozen and a few hundred layers (docs/accuracy.md,
// "Transfer"): the transfer knows the shape of the latency surface from other GPUs but not this
// one's kernels, the own fit knows this GPU's kernels from few layers; their errors partly cancel.
// The explanation is the own fit's (kernel, tile, CTAs, waves), with the blend said in `transfer`.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "model/interval/interval_calibration.h"
#include "model/latency/latency_model.h"
#include "model/transfer/transfer_model.h"
#include "model/transfer/transferred_latency_model.h"

namespace convlat::model {

// What the transfer is worth in layers of the platform's own: at this many the two weigh the same.
// Chosen on the leave-one-GPU-out runs over the eight public GPUs (docs/accuracy.md): the best
// fixed weight moved from about 1/3 own at 25 layers to all own at 1,000, as n / (n + 50) does.
inline constexpr double kTransferWorthLayers = 50;
// The same for a stacked transfer (transfer_model.h, FewShotCorrection), which is worth more: on
// the same runs n / (n + 200) beat n / (n + 50) at every size from 25 layers (15.6 against 16.8 %
// at 50, 13.3 against 13.8 % at 500), and the stack alone from 100 layers (14.6 against 14.9 %;
// within 0.1 points of it at 25 and 50).
inline constexpr double kStackedTransferWorthLayers = 200;

// The own fit's share of the blend's log latency: n / (n + worth), worth kTransferWorthLayers or,
// for a stacked transfer, kStackedTransferWorthLayers.
double OwnFitWeight(int own_layers, bool stacked = false);

// Which of the two deserves the weight depends on the GPU: on the leave-one-GPU-out runs, with 500
// layers of its own, the T4's own fit was better than its stacked transfer (11.6 against 13.1 %),
// the K40's much worse (15.8 against 12.6 %), and a fixed rule put 71 % on it either way. So, with
// an own fit to refit, the weight is chosen on the platform's own layers: cross-validation over the
// interval calibration's kCalibrationFolds folds of the own fit and the refined transfer, the weight
// (in steps of 5 %) whose blend has the lowest held-out MAPE. With a few dozen layers a fold holds a handful, so the
// choice is shrunk towards the rule above as if kBlendRulePriorLayers layers had backed the rule: mean MAPE 14.4 → 14.2
// % at 100 layers, 13.3 → 12.8 % at 500 (docs/accuracy.md, "Transfer"). The share is chosen once per refit; the
// interval calibration's folds blend at it rather than choosing again inside each (five times the fits, and the same
// coverage on those runs).
inline constexpr double kBlendRulePriorLayers = 50;
double CrossValidatedOwnFitWeight(const std::shared_ptr<const TransferModel>& model, const TransferSpec& target,
                                  const std::vector<Sample>& samples, const ConvFitter& own_fit, double rule_weight);
// The rule's share for a blend on `samples` (stacked or not, as the few-shot correction on them).
double RuleOwnFitWeight(const TransferModel& model, const std::vector<Sample>& samples);
// What a blend on `samples` is served with: cross-validated with `own_fit`, towards the rule.
double ChooseOwnFitWeight(const std::shared_ptr<const TransferModel>& model, const TransferSpec& target,
                          const std::vector<Sample>& samples, const ConvFitter& own_fit);

class BlendedLatencyModel : public LatencyModel {
 public:
  // `own_weight`: the own fit's share, cross-validated (CrossValidatedOwnFitWeight); without one,
  // the rule's (OwnFitWeight).
  BlendedLatencyModel(std::unique_ptr<const LatencyModel> own, std::unique_ptr<const TransferredLatencyModel> transfer,
                      int own_layers, std::optional<double> own_weight = std::nullopt);

  Prediction Predict(const ConvShape& shape) const override;
  // The own model's kind with "+transfer": "two-mode+transfer".
  std::string kind() const override { return own_->kind() + "+transfer"; }
  // The own model's parameters, the transfer's ("transfer.*"), "blend.own_weight" and
  // "blend.rule_own_weight" (what the rule alone would have given it).
  std::map<std::string, double> parameters() const override;

  // "67 % the platform's own two-mode fit on 100 layers, 33 % transferred from gpu-t4, gpu-v100".
  const std::string& description() const { return description_; }
  double own_weight() const { return own_weight_; }

 private:
  std::unique_ptr<const LatencyModel> own_;
  std::unique_ptr<const TransferredLatencyModel> transfer_;
  int own_layers_ = 0;
  double rule_weight_ = 0;
  double own_weight_ = 0;
  bool cross_validated_ = false;
  std::string description_;
};

// What a GPU with `samples` of its own is served: the transfer refined by them (the few-shot
// correction), blended with `own`, its own conv fit on the same samples, when there is one; at
// `own_weight` (ChooseOwnFitWeight), or without one at the rule's.
std::unique_ptr<LatencyModel> TransferredOrBlended(std::shared_ptr<const TransferModel> model,
                                                   const TransferSpec& target, const std::vector<Sample>& samples,
                                                   std::unique_ptr<const LatencyModel> own,
                                                   std::optional<double> own_weight = std::nullopt);

// Fits what the server serves a GPU on `samples` of its own: `own_fit` on them blended with the
// transfer refined by them (the transfer alone when the own fit fails). For calibrating the blend's
// intervals on its own held-out residuals (interval_calibration.h): on the public GPUs those cover
// 75-90 % of held-out layers from 50 layers on, where the transfer's leave-one-GPU-out quantiles
// cover 88-98 % (docs/accuracy.md, "Transfer").
// `own_weight`: the share the served blend was given (each fold blends at it), or the rule's.
ConvFitter BlendedFitter(std::shared_ptr<const TransferModel> model, TransferSpec target, ConvFitter own_fit,
                         std::optional<double> own_weight = std::nullopt);

// What a transferred or blended model says of itself (their description()); empty for another.
std::string TransferDescription(const LatencyModel& model);

}  // namespace convlat::model
