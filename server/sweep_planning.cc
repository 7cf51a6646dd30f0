#include "server/sweep_planning.h"

#include <vector>

#include "model/sweeps/sweep_planner.h"
#include "server/request_validation.h"

namespace convlat::server {
namespace {

// The caller's own candidates, convolutions and other ops, each list planned on its own.
absl::Status PlanCandidates(const v1::GetSweepPlanRequest& request, const std::vector<v1::Measurement>& measured,
                            const model::PlanOptions& options, v1::SweepPlan& plan) {
  if (request.candidates_size() > 0) {
    if (absl::Status s = ValidateLayers(request.candidates(), "candidates"); !s.ok()) return s;
  }
  if (absl::Status s = ValidateOps(request.op_candidates(), "op_candidates"); !s.ok()) return s;
  const std::vector<v1::ConvParams> candidates(request.candidates().begin(), request.candidates().end());
  plan = model::PlanFromCandidates(candidates, measured, options);
  const std::vector<v1::OpParams> op_candidates(request.op_candidates().begin(), request.op_candidates().end());
  for (v1::OpParams& op : model::PlanOps(op_candidates, measured, request.max_configs())) {
    *plan.add_ops() = std::move(op);
  }
  return absl::OkStatus();
}

// The plan of the request's sweep or candidates, leaving out what `measured` has.
absl::Status PlanAgainst(const v1::GetSweepPlanRequest& request, const std::vector<v1::Measurement>& measured,
                         const model::PlanOptions& options, v1::SweepPlan& plan) {
  if (request.candidates_size() > 0 || request.op_candidates_size() > 0) {
    return PlanCandidates(request, measured, options, plan);
  }
  absl::StatusOr<v1::SweepPlan> named = model::PlanSweep(request.sweep(), "sweep", measured, options);
  if (!named.ok()) return named.status();
  plan = *std::move(named);
  return absl::OkStatus();
}

}  // namespace

absl::Status PlanSweepFor(MeasurementStore& store, const v1::GetSweepPlanRequest& request, v1::SweepPlan& plan) {
  if (absl::Status s = ValidatePlatformName(request.platform(), "platform"); !s.ok()) return s;
  if (request.max_configs() < 0) return absl::InvalidArgumentError("max_configs must be >= 0");
  if (!v1::SweepOrder_IsValid(request.order())) return absl::InvalidArgumentError("order: unknown sweep order");
  absl::StatusOr<v1::Platform> platform = store.GetPlatform(request.platform());
  if (!platform.ok()) return platform.status();
  const model::PlanOptions options{
      .max_configs = request.max_configs(), .order = request.order(), .hardware = model::HardwareOf(*platform)};
  absl::StatusOr<std::vector<v1::Measurement>> measured = store.LoadMeasurements(request.platform());
  if (!measured.ok()) return measured.status();
  if (!request.remeasure()) return PlanAgainst(request, *measured, options, plan);
  // Everything again (convlat-agent --remeasure): planned as for a platform with nothing stored,
  // so the new measurements supersede the stored ones; already_measured still says how many of
  // them the sweep measures again (the listed order costs no model fit).
  v1::SweepPlan against_stored;
  model::PlanOptions listed = options;
  listed.order = v1::SWEEP_ORDER_LISTED;
  if (absl::Status s = PlanAgainst(request, *measured, listed, against_stored); !s.ok()) return s;
  if (absl::Status s = PlanAgainst(request, {}, options, plan); !s.ok()) return s;
  plan.set_already_measured(against_stored.already_measured());
  return absl::OkStatus();
}

}  // namespace convlat::server
