#pragma once
// The transfer model as a platform's convolution model (latency_model.h), for a GPU with too few
// measurements of its own: what the server serves until the platform's own fit takes over. Every
// prediction says so in its explanation (model kind "transfer", the sources, the layers it was
// refined with).

#include <map>
#include <memory>
#include <string>

#include "model/latency/latency_model.h"
#include "model/transfer/transfer_model.h"

namespace convlat::model {

class TransferredLatencyModel : public LatencyModel {
 public:
  TransferredLatencyModel(std::shared_ptr<const TransferModel> model, TransferSpec target,
                          FewShotCorrection correction);

  Prediction Predict(const ConvShape& shape) const override;
  // Predict's latency alone, without building the explanation (the blend needs only this).
  double LatencyUs(const ConvShape& shape) const { return PredictRefinedUs(*model_, target_, correction_, shape); }
  std::string kind() const override { return "transfer"; }
  std::map<std::string, double> parameters() const override;

  // "transferred from gpu-t4, gpu-v100 (no measurements of this platform)" or "transferred from
  // ..., refined with 50 layers".
  const std::string& description() const { return description_; }
  const std::vector<std::string>& source_names() const { return model_->source_names(); }
  int target_layers() const { return correction_.layers; }
  bool stacked() const { return correction_.stacked(); }

 private:
  std::shared_ptr<const TransferModel> model_;
  TransferSpec target_;
  FewShotCorrection correction_;
  std::string description_;
  // Each layer's Explanation.transfer, made once: [with the rule's clause][at the sources' floor]. The
  // rule is said where it took part: a layer unlike any its sources measured has the trees alone.
  std::string layer_transfer_[2][2];
};

}  // namespace convlat::model
