// GetSweepPlan as a core function: protos in, absl::Status out, no channel, a real SQLite store.
#include "server/sweep_planning.h"

#include <functional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/sweeps/sweeps.h"
#include "server/measurement_ingest.h"
#include "tests/server/core_fixture.h"
#include "tests/server/test_data.h"

namespace convlat::testing {
namespace {

using ::testing::StartsWith;

class SweepPlanningTest : public ServerCoreTest {
 protected:
  void SetUp() override {
    ServerCoreTest::SetUp();
    Register("cpu");
    request_.set_platform("cpu");
  }

  absl::Status Plan() {
    plan_.Clear();
    return server::PlanSweepFor(*store_, request_, plan_);
  }

  // Stores `measurements` without waiting for a fit: the planner reads the store, not the model.
  void Measured(const std::string& id, const std::vector<v1::Measurement>& measurements) {
    ASSERT_EQ(server::StoreBatch(*store_, *models_, metrics_, Batch(id, "cpu", measurements)).code(), 0);
  }

  v1::GetSweepPlanRequest request_;
  v1::SweepPlan plan_;
};

TEST_F(SweepPlanningTest, NamedSweepListsWhatIsNotMeasuredYet) {
  request_.set_max_configs(7);
  ASSERT_TRUE(Plan().ok());
  EXPECT_EQ(plan_.configs_size(), 7);
  EXPECT_EQ(plan_.already_measured(), 0);

  // Two configs of the quick sweep (the default) measured: left out, and counted.
  const std::vector<v1::ConvParams> quick = *model::NamedSweep("quick");
  std::vector<v1::Measurement> measured(2);
  *measured[0].mutable_params() = quick[0];
  *measured[1].mutable_params() = quick[1];
  for (v1::Measurement& m : measured) m.mutable_latency()->set_median_us(10);
  Measured("two", measured);
  request_.set_max_configs(0);
  request_.set_order(v1::SWEEP_ORDER_LISTED);
  ASSERT_TRUE(Plan().ok());
  EXPECT_EQ(plan_.already_measured(), 2);
  EXPECT_EQ(plan_.configs_size(), static_cast<int>(quick.size()) - 2);
  EXPECT_EQ(plan_.configs(0).SerializeAsString(), quick[2].SerializeAsString());

  // Most informative first (the default order), from the default sweep.
  request_.set_sweep("default");
  request_.set_order(v1::SWEEP_ORDER_ACTIVE);
  request_.set_max_configs(5);
  ASSERT_TRUE(Plan().ok());
  EXPECT_EQ(plan_.configs_size(), 5);
  EXPECT_EQ(plan_.already_measured(), 2);
}

// The agent's own candidates: the ops already measured are left out, the rest keep their order.
TEST_F(SweepPlanningTest, CandidatesLeaveOutWhatIsMeasured) {
  const std::vector<v1::Measurement> ops = CpuOpMeasurements();
  Measured("ops", ops);
  *request_.add_op_candidates() = ops[0].op();
  *request_.add_op_candidates() = Op("op=softmax,n=3,c=7,h=1,w=1");
  ASSERT_TRUE(Plan().ok());
  EXPECT_EQ(plan_.configs_size(), 0);
  ASSERT_EQ(plan_.ops_size(), 1);
  EXPECT_EQ(plan_.ops(0).c(), 7);

  *request_.add_candidates() = Conv("n=1,c=8,h=8,w=8,k=8,r=3,s=3");
  *request_.add_candidates() = Conv("n=1,c=8,h=8,w=8,k=16,r=3,s=3");
  request_.set_max_configs(1);
  ASSERT_TRUE(Plan().ok());
  ASSERT_EQ(plan_.configs_size(), 1);
  EXPECT_EQ(plan_.configs(0).k(), 8);
  EXPECT_EQ(plan_.ops_size(), 1);
}

TEST_F(SweepPlanningTest, ErrorsNameTheField) {
  const struct {
    std::function<void(v1::GetSweepPlanRequest&)> spoil;
    absl::StatusCode code;
    const char* message;
  } cases[] = {
      {[](auto& r) { r.clear_platform(); }, absl::StatusCode::kInvalidArgument, "platform is required"},
      {[](auto& r) { r.set_max_configs(-1); }, absl::StatusCode::kInvalidArgument, "max_configs must be >= 0"},
      {[](auto& r) { r.set_order(static_cast<v1::SweepOrder>(99)); }, absl::StatusCode::kInvalidArgument,
       "order: unknown sweep order"},
      // An unknown sweep name is the caller's mistake, not a missing resource.
      {[](auto& r) { r.set_sweep("enormous"); }, absl::StatusCode::kInvalidArgument,
       "sweep: unknown sweep 'enormous' (expected quick, default or a file path)"},
      {[](auto& r) { r.set_platform("unknown"); }, absl::StatusCode::kNotFound, "platform 'unknown' is not registered"},
      {[](auto& r) { r.add_candidates()->set_c(8); }, absl::StatusCode::kInvalidArgument, "candidates[0]."},
      {[](auto& r) {
         *r.add_op_candidates() = Op("op=softmax,n=3,c=7,h=1,w=1");
         r.add_op_candidates()->set_kind(v1::OP_KIND_UNSPECIFIED);
       },
       absl::StatusCode::kInvalidArgument, "op_candidates[1].kind must be a known op kind"},
  };
  for (const auto& bad : cases) {
    request_.Clear();
    request_.set_platform("cpu");
    bad.spoil(request_);
    const absl::Status status = Plan();
    EXPECT_EQ(status.code(), bad.code) << status;
    EXPECT_THAT(std::string(status.message()), StartsWith(bad.message));
    EXPECT_EQ(plan_.configs_size() + plan_.ops_size(), 0) << bad.message;
  }
}

}  // namespace
}  // namespace convlat::testing
