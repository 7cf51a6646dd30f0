#include "model/eval/model_zoo.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "model/baselines/flops_linear_model.h"
#include "model/baselines/nearest_neighbour_model.h"
#include "model/baselines/xgboost_model.h"
#include "model/latency/roofline_model.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

template <typename Model>
absl::StatusOr<std::unique_ptr<LatencyModel>> Upcast(absl::StatusOr<std::unique_ptr<Model>> fitted) {
  if (!fitted.ok()) return fitted.status();
  return std::unique_ptr<LatencyModel>(std::move(*fitted));
}

}  // namespace

std::vector<ModelFitter> AllModelFitters() {
  return {
      {"two-mode", [](const auto& s, const HardwareInfo& hw) { return Upcast(TwoModeModel::Fit(s, hw)); }},
      {"roofline", [](const auto& s, const HardwareInfo&) { return Upcast(RooflineModel::Fit(s)); }},
      {"flops-linear", [](const auto& s, const HardwareInfo&) { return Upcast(FlopsLinearModel::Fit(s)); }},
      {"nearest-neighbour", [](const auto& s, const HardwareInfo&) { return Upcast(NearestNeighbourModel::Fit(s)); }},
      {"xgboost-gbdt",
       [](const auto& s, const HardwareInfo&) { return Upcast(XgboostModel::Fit(s, TreeEnsemble::kGradientBoosted)); }},
      {"random-forest",
       [](const auto& s, const HardwareInfo&) { return Upcast(XgboostModel::Fit(s, TreeEnsemble::kRandomForest)); }},
  };
}

absl::StatusOr<std::vector<ModelFitter>> ModelFittersNamed(absl::string_view names) {
  const std::vector<ModelFitter> all = AllModelFitters();
  std::vector<ModelFitter> chosen;
  for (absl::string_view name : absl::StrSplit(names, ',', absl::SkipEmpty())) {
    auto it = std::find_if(all.begin(), all.end(), [&](const ModelFitter& f) { return f.name == name; });
    if (it == all.end()) {
      std::vector<std::string> known;
      for (const ModelFitter& f : all) known.push_back(f.name);
      return absl::InvalidArgumentError(
          absl::StrCat("models: unknown model '", name, "' (known: ", absl::StrJoin(known, ", "), ")"));
    }
    chosen.push_back(*it);
  }
  if (chosen.empty()) return absl::InvalidArgumentError("models: no model named");
  return chosen;
}

}  // namespace convlat::model
