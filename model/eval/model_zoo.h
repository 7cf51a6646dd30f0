#pragma once
// Every model convlat can fit, by name, so the evaluation gives each the same samples.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

struct ModelFitter {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<LatencyModel>>(const std::vector<Sample>&, const HardwareInfo&)> fit;
};

// two-mode, roofline, flops-linear, nearest-neighbour, xgboost-gbdt, random-forest.
std::vector<ModelFitter> AllModelFitters();
// A comma-separated list of the names above; INVALID_ARGUMENT naming the unknown one.
absl::StatusOr<std::vector<ModelFitter>> ModelFittersNamed(absl::string_view names);

}  // namespace convlat::model
