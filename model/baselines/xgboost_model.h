#pragma once
// Baselines in the style of nn-Meter: tree ensembles (XGBoost, Debian's libxgboost) on the raw
// layer parameters plus FLOPs and bytes, regressing log latency. Two flavours: gradient-boosted
// trees and a random forest (XGBoost's parallel trees, one round).
// Not thread-safe: XGBoost boosters are used from one thread at a time here.

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

enum class TreeEnsemble { kGradientBoosted, kRandomForest };

class XgboostModel final : public LatencyModel {
 public:
  static absl::StatusOr<std::unique_ptr<XgboostModel>> Fit(const std::vector<Sample>& samples, TreeEnsemble ensemble);
  ~XgboostModel() override;

  Prediction Predict(const ConvShape& shape) const override;
  std::string kind() const override;
  std::map<std::string, double> parameters() const override;

 private:
  XgboostModel(void* booster, TreeEnsemble ensemble) : booster_(booster), ensemble_(ensemble) {}
  void* booster_;  // BoosterHandle
  TreeEnsemble ensemble_;
};

}  // namespace convlat::model
