#pragma once
// What an agent should measure next on a platform: the configs of a sweep that the platform has
// not measured yet (this is also how an interrupted sweep resumes), in the sweep's order or
// most informative first (active sampling, see active_sampling.h).

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/profiler.pb.h"
#include "convlat/v1/types.pb.h"
#include "model/latency/latency_model.h"

namespace convlat::model {

struct PlanOptions {
  int max_configs = 0;  // 0 means no limit
  v1::SweepOrder order = v1::SWEEP_ORDER_LISTED;
  HardwareInfo hardware;  // for the active order's models
  uint64_t seed = 1;
};

// The named sweep ("quick" when empty). Failed measurements count as measured: retrying a config
// the library cannot run teaches nothing. `field` names where the caller got `sweep_name` (a
// request's "sweep"): an unknown name is the caller's mistake, INVALID_ARGUMENT "<field>: unknown
// sweep ...", not a missing resource.
absl::StatusOr<v1::SweepPlan> PlanSweep(absl::string_view sweep_name, absl::string_view field,
                                        const std::vector<v1::Measurement>& measured, const PlanOptions& options);
// The same, drawn from the caller's own candidate configs.
v1::SweepPlan PlanFromCandidates(const std::vector<v1::ConvParams>& candidates,
                                 const std::vector<v1::Measurement>& measured, const PlanOptions& options);

// The op candidates (pooling, activations, ...) the platform has not measured yet, in their order,
// at most `max_ops` of them (0: all). Failed measurements count as measured here too.
std::vector<v1::OpParams> PlanOps(const std::vector<v1::OpParams>& candidates,
                                  const std::vector<v1::Measurement>& measured, int max_ops);

}  // namespace convlat::model
