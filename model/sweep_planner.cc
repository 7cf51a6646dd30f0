#include "model/sweep_planner.h"

#include "absl/container/flat_hash_set.h"
#include "model/conv_shape.h"
#include "model/sweeps.h"

namespace convlat::model {
namespace {

std::string ConfigKey(v1::ConvParams params) {
  NormalizeConvParams(params);
  return params.SerializeAsString();
}

}  // namespace

absl::StatusOr<v1::SweepPlan> PlanSweep(absl::string_view sweep_name,
                                        const std::vector<v1::Measurement>& measured,
                                        int max_configs) {
  absl::StatusOr<std::vector<v1::ConvParams>> sweep = NamedSweep(sweep_name.empty() ? "quick" : sweep_name);
  if (!sweep.ok()) return sweep.status();
  return PlanFromCandidates(*sweep, measured, max_configs);
}

v1::SweepPlan PlanFromCandidates(const std::vector<v1::ConvParams>& candidates,
                                 const std::vector<v1::Measurement>& measured, int max_configs) {
  absl::flat_hash_set<std::string> done;
  for (const v1::Measurement& m : measured) done.insert(ConfigKey(m.params()));
  v1::SweepPlan plan;
  for (const v1::ConvParams& config : candidates) {
    if (done.contains(ConfigKey(config))) {
      plan.set_already_measured(plan.already_measured() + 1);
    } else if (max_configs <= 0 || plan.configs_size() < max_configs) {
      *plan.add_configs() = config;
    }
  }
  return plan;
}

}  // namespace convlat::model
