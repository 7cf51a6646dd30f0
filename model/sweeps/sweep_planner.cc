#include "model/sweeps/sweep_planner.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"
#include "model/sweeps/active_sampling.h"
#include "model/sweeps/sweeps.h"

namespace convlat::model {
namespace {

std::string ConfigKey(v1::ConvParams params) {
  NormalizeConvParams(params);
  return params.SerializeAsString();
}

std::string OpKey(v1::OpParams op) {
  NormalizeOpParams(op);
  return op.SerializeAsString();
}

}  // namespace

absl::StatusOr<v1::SweepPlan> PlanSweep(absl::string_view sweep_name, absl::string_view field,
                                        const std::vector<v1::Measurement>& measured, const PlanOptions& options) {
  absl::StatusOr<std::vector<v1::ConvParams>> sweep = NamedSweep(sweep_name.empty() ? "quick" : sweep_name);
  if (!sweep.ok()) return absl::InvalidArgumentError(absl::StrCat(field, ": ", sweep.status().message()));
  return PlanFromCandidates(*sweep, measured, options);
}

v1::SweepPlan PlanFromCandidates(const std::vector<v1::ConvParams>& candidates,
                                 const std::vector<v1::Measurement>& measured, const PlanOptions& options) {
  absl::flat_hash_set<std::string> done;
  for (const v1::Measurement& m : measured) {
    if (!m.has_op()) done.insert(ConfigKey(m.params()));
  }
  v1::SweepPlan plan;
  std::vector<const v1::ConvParams*> pending;
  for (const v1::ConvParams& config : candidates) {
    if (done.insert(ConfigKey(config)).second) {
      pending.push_back(&config);
    } else {
      plan.set_already_measured(plan.already_measured() + 1);
    }
  }
  const size_t limit = options.max_configs > 0 ? std::min<size_t>(options.max_configs, pending.size()) : pending.size();
  if (options.order == v1::SWEEP_ORDER_ACTIVE && !pending.empty()) {
    std::vector<ConvShape> shapes;
    for (const v1::ConvParams* config : pending) shapes.push_back(ResolveConvShape(*config));
    for (size_t index :
         ChooseInformative(shapes, SamplesFromMeasurements(measured), limit, options.hardware, options.seed)) {
      *plan.add_configs() = *pending[index];
    }
  } else {
    for (size_t i = 0; i < limit; ++i) *plan.add_configs() = *pending[i];
  }
  return plan;
}

std::vector<v1::OpParams> PlanOps(const std::vector<v1::OpParams>& candidates,
                                  const std::vector<v1::Measurement>& measured, int max_ops) {
  absl::flat_hash_set<std::string> done;
  for (const v1::Measurement& m : measured) {
    if (m.has_op()) done.insert(OpKey(m.op()));
  }
  std::vector<v1::OpParams> pending;
  for (const v1::OpParams& op : candidates) {
    if (max_ops > 0 && static_cast<int>(pending.size()) >= max_ops) break;
    if (done.insert(OpKey(op)).second) pending.push_back(op);
  }
  return pending;
}

}  // namespace convlat::model
