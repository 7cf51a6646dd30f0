#pragma once
// GetSweepPlan without gRPC: what an agent should measure next on a platform, from a named sweep
// or from the agent's own candidates, leaving out what the platform has measured already (current
// measurements: retired ones are measured again), or with `remeasure` keeping it.

#include "absl/status/status.h"
#include "convlat/v1/profiler.pb.h"
#include "server/measurement_store.h"

namespace convlat::server {

// INVALID_ARGUMENT naming the field for a bad request ("max_configs", "op_candidates[1].kind",
// "sweep: unknown sweep ..."), NOT_FOUND for an unknown platform.
absl::Status PlanSweepFor(MeasurementStore& store, const v1::GetSweepPlanRequest& request, v1::SweepPlan& plan);

}  // namespace convlat::server
