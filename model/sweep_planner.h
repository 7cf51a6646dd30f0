#pragma once
// What an agent should measure next on a platform. For now: the configs of a named sweep that the
// platform has not measured yet, in sweep order (this is also how an interrupted sweep resumes).
// The active-sampling work replaces the ordering with one that teaches the model most.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convlat/v1/profiler.pb.h"
#include "convlat/v1/types.pb.h"

namespace convlat::model {

// `max_configs` 0 means no limit. Failed measurements count as measured: retrying a config the
// library cannot run teaches nothing.
absl::StatusOr<v1::SweepPlan> PlanSweep(absl::string_view sweep_name,
                                        const std::vector<v1::Measurement>& measured,
                                        int max_configs);
// The same, drawn from the caller's own candidate configs.
v1::SweepPlan PlanFromCandidates(const std::vector<v1::ConvParams>& candidates,
                                 const std::vector<v1::Measurement>& measured, int max_configs);

}  // namespace convlat::model
