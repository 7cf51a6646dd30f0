#include "model/sweeps/sweep_planner.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "model/sweeps/op_sweeps.h"
#include "model/sweeps/sweeps.h"

namespace convlat::model {
namespace {

TEST(SweepPlannerTest, SkipsMeasuredConfigsIncludingFailedOnes) {
  const std::vector<v1::ConvParams> quick = *NamedSweep("quick");
  std::vector<v1::Measurement> measured(2);
  *measured[0].mutable_params() = quick[0];
  *measured[1].mutable_params() = quick[3];
  measured[1].set_failed(true);
  // Stored params may carry unset defaults; the planner must still recognise them.
  measured[0].mutable_params()->clear_groups();

  absl::StatusOr<v1::SweepPlan> plan = PlanSweep("quick", "sweep", measured, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->already_measured(), 2);
  EXPECT_EQ(plan->configs_size(), static_cast<int>(quick.size()) - 2);
  EXPECT_EQ(plan->configs(0).SerializeAsString(), quick[1].SerializeAsString());
}

TEST(SweepPlannerTest, CapsTheCountAndDefaultsToQuick) {
  absl::StatusOr<v1::SweepPlan> plan = PlanSweep("", "sweep", {}, {.max_configs = 5});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->configs_size(), 5);
}

TEST(SweepPlannerTest, UnknownSweepIsTheCallersMistakeNamingTheField) {
  const absl::Status status = PlanSweep("mystery", "request.sweep", {}, {}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StartsWith(status.message(), "request.sweep: unknown sweep 'mystery'")) << status;
}

TEST(SweepPlannerTest, OpsNotYetMeasuredKeepTheirOrder) {
  const std::vector<v1::OpParams> ops = *NamedOpSweep("quick");
  std::vector<v1::Measurement> measured(2);
  *measured[0].mutable_op() = ops[0];
  *measured[1].mutable_op() = ops[2];
  measured[1].set_failed(true);  // failed counts as measured
  measured[1].set_failure_reason("unsupported");
  const std::vector<v1::OpParams> plan = PlanOps(ops, measured, 0);
  ASSERT_EQ(plan.size(), ops.size() - 2);
  EXPECT_EQ(plan[0].SerializeAsString(), ops[1].SerializeAsString());
  EXPECT_EQ(plan[1].SerializeAsString(), ops[3].SerializeAsString());
  EXPECT_EQ(PlanOps(ops, measured, 3).size(), 3u);
  // Op measurements do not count as measured convolutions, and vice versa.
  EXPECT_EQ(PlanFromCandidates(*NamedSweep("quick"), measured, {}).already_measured(), 0);
}

}  // namespace
}  // namespace convlat::model
