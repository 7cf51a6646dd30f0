// Planning a sweep in another data type, layout or math mode (--dtype, --layout, --math): what
// `gpu-check.sh` uses to run the same sweep as fp16 tensor-op NHWC. And running one: every conv
// and op passes the spread check on its way to the spool.
#include "profiler_agent/sweep_runner.h"

#include <atomic>
#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "grpcpp/create_channel.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "model/sweeps/sweeps.h"
#include "tests/profiler_agent/delivery/spooled_test.h"
#include "tests/support/free_port.h"
#include "tests/support/test_dir.h"

namespace convlat::agent {
namespace {

class SweepOverrideTest : public SpooledTest {
 protected:
  // No server answers: the plan is the whole sweep, as the agent would measure it.
  absl::StatusOr<model::Sweep> Plan(SweepOptions options) {
    const std::string address = "127.0.0.1:" + std::to_string(convlat::testing::FreePort());
    options.server = address;
    options.rpc_timeout = std::chrono::milliseconds(200);
    return PlanConfigs(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), *spool_, options,
                       *model::ResolveSweep(options.sweep));
  }
};

TEST_F(SweepOverrideTest, EveryConvAndOpTakesTheDataTypeLayoutAndMathAskedFor) {
  SweepOptions options{.platform = "gpu", .sweep = "quick", .layout = v1::LAYOUT_NHWC};
  options.dtype = v1::DATA_TYPE_FP16;
  options.math_mode = v1::MATH_MODE_TENSOR_OP;
  absl::StatusOr<model::Sweep> planned = Plan(options);
  ASSERT_TRUE(planned.ok()) << planned.status();
  const model::Sweep whole = *model::ResolveSweep("quick");
  ASSERT_FALSE(planned->convs.empty());
  ASSERT_FALSE(planned->ops.empty());
  EXPECT_LE(planned->convs.size(), whole.convs.size());
  for (const v1::ConvParams& config : planned->convs) {
    EXPECT_EQ(config.dtype(), v1::DATA_TYPE_FP16);
    EXPECT_EQ(config.layout(), v1::LAYOUT_NHWC);
    EXPECT_EQ(config.math_mode(), v1::MATH_MODE_TENSOR_OP);
  }
  for (const v1::OpParams& op : planned->ops) {
    EXPECT_EQ(op.dtype(), v1::DATA_TYPE_FP16);
    EXPECT_EQ(op.layout(), v1::LAYOUT_NHWC);
  }
}

TEST_F(SweepOverrideTest, WithoutOverridesTheSweepIsMeasuredAsItSays) {
  absl::StatusOr<model::Sweep> planned = Plan({.platform = "gpu", .sweep = "quick"});
  ASSERT_TRUE(planned.ok()) << planned.status();
  const model::Sweep whole = *model::ResolveSweep("quick");
  ASSERT_EQ(planned->convs.size(), whole.convs.size());
  for (size_t i = 0; i < whole.convs.size(); ++i) {
    EXPECT_EQ(planned->convs[i].SerializeAsString(), whole.convs[i].SerializeAsString()) << i;
  }
}

// A backend whose timings are scripted: the named configurations are spiky on their first
// attempt (or on every one), the rest steady. The figures are synthetic, for this test only.
class ScriptedBackend final : public ConvBackend {
 public:
  std::string name() const override { return "scripted"; }
  absl::StatusOr<v1::Platform> DescribePlatform() override { return v1::Platform(); }
  std::vector<v1::Measurement> Measure(const v1::ConvParams& params, const TimingOptions&) override {
    v1::Measurement m;
    *m.mutable_params() = params;
    m.set_backend(name());
    Time(params.k(), m);
    return {m};
  }
  v1::Measurement MeasureOp(const v1::OpParams& op, const TimingOptions&) override {
    v1::Measurement m;
    *m.mutable_op() = op;
    m.set_backend(name());
    Time(op.c(), m);
    return m;
  }

  // Configurations are told apart by k (convolutions) or c (ops).
  std::set<int64_t> spiky_once;
  std::set<int64_t> always_spiky;
  // Steady but 80x slower on their first attempt, as if the machine stalled through the whole timing.
  std::set<int64_t> stalled_once;
  int attempts = 0;

 private:
  void Time(int64_t id, v1::Measurement& m) {
    ++attempts;
    const bool first = seen_.insert(id).second;
    const bool spiky = always_spiky.contains(id) || (spiky_once.contains(id) && first);
    const double scale = stalled_once.contains(id) && first ? 80 : 1;
    v1::LatencyStats* stats = m.mutable_latency();
    stats->set_min_us(100 * scale);
    stats->set_p10_us(101 * scale);
    stats->set_median_us((spiky ? 1500 : 104) * scale);
    stats->set_p90_us((spiky ? 2400 : 110) * scale);
    stats->set_repetitions(20);
  }
  std::set<int64_t> seen_;
};

class CheckedSweepTest : public SpooledTest {};

TEST_F(CheckedSweepTest, ConvsAndOpsAreRemeasuredAndTheUnsteadyOnesSpooledNoisy) {
  model::Sweep sweep;
  for (int k : {1, 2, 3})
    sweep.convs.push_back(*model::ParseConvSpec("n=1,c=8,h=8,w=8,r=1,s=1,k=" + std::to_string(k)));
  for (int c : {4, 5})
    sweep.ops.push_back(*model::ParseOpSpec("op=activation,function=relu,n=1,h=8,w=8,c=" + std::to_string(c)));
  ScriptedBackend backend;
  backend.spiky_once = {2, 4};
  backend.always_spiky = {3, 5};
  const std::string address = "127.0.0.1:" + std::to_string(convlat::testing::FreePort());
  Pusher pusher(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), *spool_, "agent");
  SweepOptions options{.platform = "cpu", .agent_id = "agent", .batch_size = 100};
  options.noise.max_remeasurements = 2;
  const std::atomic<bool> stop{false};

  absl::StatusOr<SweepResult> result = RunSweep(backend, sweep, *spool_, pusher, options, stop);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->measured, 5);
  // The spread check's attempts, then one second look each (none disagrees: the always spiky
  // configurations are as slow at the second look).
  EXPECT_EQ(backend.attempts, (1 + 2 + 3 + 2 + 3) + 5);
  EXPECT_EQ(result->noise.configs, 5);
  EXPECT_EQ(result->noise.remeasured, 4);
  EXPECT_EQ(result->noise.noisy, 2);
  EXPECT_EQ(result->noise.longest_noisy_run, 1);

  absl::StatusOr<std::vector<std::string>> pending = spool_->Pending();
  ASSERT_TRUE(pending.ok() && pending->size() == 1u);
  absl::StatusOr<v1::MeasurementBatch> batch = spool_->Read(pending->front());
  ASSERT_TRUE(batch.ok()) << batch.status();
  ASSERT_EQ(batch->measurements_size(), 5);
  struct Expected {
    bool noisy;
    int remeasurements;
    double median_us;
  };
  const Expected expected[] = {{false, 0, 104}, {false, 1, 104}, {true, 2, 1500}, {false, 1, 104}, {true, 2, 1500}};
  for (int i = 0; i < 5; ++i) {
    const v1::Measurement& m = batch->measurements(i);
    EXPECT_EQ(m.noisy(), expected[i].noisy) << i;
    EXPECT_EQ(m.remeasurements(), expected[i].remeasurements) << i;
    EXPECT_DOUBLE_EQ(m.latency().median_us(), expected[i].median_us) << i;
    EXPECT_EQ(m.sm_clock_mhz_before(), 0) << "a CPU backend has no SM clock";
  }
}

class SecondLookSweepTest : public SpooledTest {
 protected:
  absl::StatusOr<SweepResult> Run(ConvBackend& backend, const SweepOptions& options) {
    const std::string address = "127.0.0.1:" + std::to_string(convlat::testing::FreePort());
    Pusher pusher(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), *spool_, "agent");
    const std::atomic<bool> stop{false};
    return RunSweep(backend, sweep_, *spool_, pusher, options, stop);
  }
  // The spooled measurements in spool order.
  std::vector<v1::Measurement> Spooled() {
    std::vector<v1::Measurement> all;
    absl::StatusOr<std::vector<std::string>> pending = spool_->Pending();
    EXPECT_TRUE(pending.ok());
    for (const std::string& path : *pending) {
      absl::StatusOr<v1::MeasurementBatch> batch = spool_->Read(path);
      EXPECT_TRUE(batch.ok()) << batch.status();
      all.insert(all.end(), batch->measurements().begin(), batch->measurements().end());
    }
    return all;
  }
  void SetUp() override {
    SpooledTest::SetUp();
    if (HasFatalFailure()) return;
    for (int k = 1; k <= 10; ++k)
      sweep_.convs.push_back(*model::ParseConvSpec("n=1,c=8,h=8,w=8,r=1,s=1,k=" + std::to_string(k)));
  }
  model::Sweep sweep_;
};

TEST_F(SecondLookSweepTest, AConfigSlowedThroughItsWholeTimingIsTimedAgainAndSpooledAtItsFasterTiming) {
  ScriptedBackend backend;
  backend.stalled_once = {3};
  SweepOptions options{.platform = "cpu", .agent_id = "agent", .batch_size = 4};
  absl::StatusOr<SweepResult> result = Run(backend, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(backend.attempts, 10 + 10 + 1) << "one timing and one second look each, one full re-timing";
  EXPECT_EQ(result->noise.remeasured, 0) << "the stall passed the spread check";
  EXPECT_EQ(result->noise.slowed, 1);
  EXPECT_EQ(result->noise.slowed_replaced, 1);
  const std::vector<v1::Measurement> spooled = Spooled();
  ASSERT_EQ(spooled.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(spooled[i].params().k(), i + 1) << "spooled in sweep order";
    EXPECT_DOUBLE_EQ(spooled[i].latency().median_us(), 104) << i;
    EXPECT_EQ(spooled[i].remeasurements(), i == 2 ? 1 : 0) << i;
    EXPECT_EQ(spooled[i].agent_id(), "agent") << i;
  }
  // Batches wait for their second look: at least 8 configurations, then 4 measurements.
  absl::StatusOr<std::vector<std::string>> batches = spool_->Pending();
  ASSERT_TRUE(batches.ok());
  EXPECT_EQ(batches->size(), 2u);
}

TEST_F(SecondLookSweepTest, WithoutTheSecondLookTheStalledTimingIsKept) {
  ScriptedBackend backend;
  backend.stalled_once = {3};
  SweepOptions options{.platform = "cpu", .agent_id = "agent", .batch_size = 4};
  options.second_look.enabled = false;
  absl::StatusOr<SweepResult> result = Run(backend, options);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(backend.attempts, 10);
  EXPECT_EQ(result->noise.slowed, 0);
  const std::vector<v1::Measurement> spooled = Spooled();
  ASSERT_EQ(spooled.size(), 10u);
  EXPECT_DOUBLE_EQ(spooled[2].latency().median_us(), 104 * 80);
}

}  // namespace
}  // namespace convlat::agent
