#include "model/sweep_planner.h"

#include <gtest/gtest.h>

#include "model/sweeps.h"

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

  absl::StatusOr<v1::SweepPlan> plan = PlanSweep("quick", measured, {});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->already_measured(), 2);
  EXPECT_EQ(plan->configs_size(), static_cast<int>(quick.size()) - 2);
  EXPECT_EQ(plan->configs(0).SerializeAsString(), quick[1].SerializeAsString());
}

TEST(SweepPlannerTest, CapsTheCountAndDefaultsToQuick) {
  absl::StatusOr<v1::SweepPlan> plan = PlanSweep("", {}, {.max_configs = 5});
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->configs_size(), 5);
}

TEST(SweepPlannerTest, UnknownSweepIsNotFound) {
  EXPECT_EQ(PlanSweep("mystery", {}, {}).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace convlat::model
