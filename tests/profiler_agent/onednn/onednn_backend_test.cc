// Real oneDNN convolutions on this machine's CPU.
#include "profiler_agent/onednn/onednn_backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "tests/profiler_agent/backend/fast_timing.h"

namespace convlat::agent {
namespace {

// Both timings of one real run are stored: the hot one is a real series of its own (positive,
// ordered statistics, a repetition count). How the two compare is the caches' and the machine's
// business: a 2 µs op preempted once reads 20 ms, so no ratio between them is asserted.
void ExpectHotTiming(const v1::Measurement& m) {
  ASSERT_TRUE(m.has_hot_latency());
  EXPECT_GT(m.hot_latency().median_us(), 0);
  EXPECT_LE(m.hot_latency().min_us(), m.hot_latency().median_us());
  EXPECT_LE(m.hot_latency().median_us(), m.hot_latency().p90_us());
  EXPECT_GE(m.hot_latency().repetitions(), 1);
}

class OneDnnBackendTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OneDnnBackendTest, MeasuresARealConvolution) {
  auto backend = MakeOneDnnBackend();
  const v1::ConvParams params = *model::ParseConvSpec(GetParam());
  const std::vector<v1::Measurement> measurements = backend->Measure(params, FastTiming());
  ASSERT_EQ(measurements.size(), 1u);
  const v1::Measurement& m = measurements[0];
  ASSERT_FALSE(m.failed()) << m.failure_reason();
  EXPECT_GT(m.latency().median_us(), 0);
  EXPECT_LE(m.latency().min_us(), m.latency().median_us());
  EXPECT_LE(m.latency().median_us(), m.latency().p90_us());
  EXPECT_GE(m.latency().repetitions(), 1);  // how many fit the time limits depends on the load (repetition_rule_test)
  ExpectHotTiming(m);
  EXPECT_EQ(m.backend(), "onednn");
  EXPECT_FALSE(m.algorithm().empty());
  EXPECT_GT(m.measured_at().seconds(), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Layers, OneDnnBackendTest,
    ::testing::Values("n=1,c=16,h=28,w=28,k=32,r=3,s=3,pad=1", "n=2,c=16,h=28,w=28,k=32,r=3,s=3,pad=1,layout=nhwc",
                      "n=1,c=32,h=28,w=28,k=32,r=3,s=3,pad=1,groups=32",
                      "n=1,c=16,h=28,w=28,k=16,r=3,s=3,pad=2,dilation=2",
                      "n=1,c=8,h=15,w=9,k=12,r=5,s=3,stride_h=2,stride_w=1,pad_h=2,pad_w=0,groups=4",
                      "n=1,c=32,h=28,w=28,k=64,r=3,s=3,pad=1,layout=native",
                      "n=1,c=32,h=28,w=28,k=32,r=3,s=3,pad=1,groups=32,layout=native"));

// Every op kind, and every activation function the op model knows, runs as a real primitive.
class OneDnnOpTest : public ::testing::TestWithParam<const char*> {};

TEST_P(OneDnnOpTest, MeasuresARealOp) {
  auto backend = MakeOneDnnBackend();
  absl::StatusOr<v1::OpParams> op = model::ParseOpSpec(GetParam());
  ASSERT_TRUE(op.ok()) << op.status();
  ASSERT_TRUE(model::ValidateOpParams(*op, "").ok());
  model::NormalizeOpParams(*op);
  const v1::Measurement m = backend->MeasureOp(*op, FastTiming());
  ASSERT_FALSE(m.failed()) << m.failure_reason();
  EXPECT_EQ(model::FormatOpSpec(m.op()), model::FormatOpSpec(*op));
  EXPECT_FALSE(m.has_params());
  EXPECT_GT(m.latency().median_us(), 0);
  EXPECT_LE(m.latency().min_us(), m.latency().median_us());
  EXPECT_GE(m.latency().repetitions(), 1);  // how many fit the time limits depends on the load (repetition_rule_test)
  ExpectHotTiming(m);
  EXPECT_EQ(m.backend(), "onednn");
  EXPECT_FALSE(m.algorithm().empty());
}

// A layer norm's division by its rows' deviations, over 197 tokens: blocked channels that fill no
// block, where oneDNN 2.6 divides only with its reference kernel, 200 times slower than the
// multiplication by reciprocals a runtime makes of it and the agent times.
TEST(OneDnnOpKernelTest, ABroadcastDivisionIsNotTimedWithTheReferenceKernel) {
  auto backend = MakeOneDnnBackend();
  absl::StatusOr<v1::OpParams> op =
      model::ParseOpSpec("op=binary,function=div,n=1,c=197,h=768,w=1,broadcast=1,layout=native");
  ASSERT_TRUE(op.ok()) << op.status();
  model::NormalizeOpParams(*op);
  const v1::Measurement m = backend->MeasureOp(*op, FastTiming());
  ASSERT_FALSE(m.failed()) << m.failure_reason();
  EXPECT_THAT(m.algorithm(), ::testing::Not(::testing::HasSubstr("ref")));
}

INSTANTIATE_TEST_SUITE_P(
    Ops, OneDnnOpTest,
    ::testing::Values(
        "op=max_pool,n=1,c=16,h=28,w=28,kernel=3,stride=2,pad=1",
        "op=max_pool,n=2,c=16,h=28,w=28,kernel=2,stride=2,layout=nhwc", "op=avg_pool,n=1,c=32,h=7,w=7,kernel=7",
        "op=avg_pool,n=1,c=8,h=9,w=15,kernel_h=3,kernel_w=5,pad=1", "op=activation,function=relu,n=1,c=16,h=14,w=14",
        "op=activation,function=leakyrelu,n=1,c=4,h=5,w=5", "op=activation,function=clip,n=1,c=4,h=5,w=5",
        "op=activation,function=sigmoid,n=1,c=4,h=5,w=5", "op=activation,function=hardsigmoid,n=1,c=4,h=5,w=5",
        "op=activation,function=hardswish,n=1,c=4,h=5,w=5", "op=activation,function=tanh,n=1,c=4,h=5,w=5",
        "op=activation,function=elu,n=1,c=4,h=5,w=5", "op=activation,function=gelu,n=1,c=4,h=5,w=5",
        "op=activation,function=exp,n=1,c=4,h=5,w=5", "op=activation,function=log,n=1,c=4,h=5,w=5",
        "op=activation,function=sqrt,n=1,c=4,h=5,w=5", "op=activation,function=abs,n=1,c=4,h=5,w=5",
        "op=activation,function=softplus,n=1,c=4,h=5,w=5", "op=activation,function=mish,n=1,c=4,h=5,w=5",
        "op=activation,function=silu,n=1,c=4,h=5,w=5", "op=binary,function=add,n=1,c=16,h=14,w=14",
        "op=binary,function=mul,n=2,c=16,h=14,w=14,broadcast=1", "op=binary,function=sub,n=1,c=4,h=5,w=5",
        "op=binary,function=div,n=1,c=4,h=5,w=5,layout=nhwc", "op=concat,n=1,c=10,h=7,w=7,inputs=3",
        "op=concat,n=2,c=64,h=14,w=14,layout=nhwc", "op=softmax,n=4,c=1000,h=1,w=1", "op=softmax,n=1,c=21,h=14,w=14",
        "op=resize,function=nearest,n=1,c=8,h=7,w=7,out_h=14,out_w=14",
        "op=resize,function=linear,n=1,c=8,h=7,w=9,out_h=5,out_w=20", "op=batch_norm,n=2,c=24,h=14,w=14",
        "op=copy,n=1,c=24,h=14,w=14", "op=copy,n=1,c=24,h=14,w=14,layout=nhwc",
        // Blocked activations, channel counts that fill no block exactly included.
        "op=max_pool,n=1,c=24,h=28,w=28,kernel=3,stride=2,pad=1,layout=native",
        "op=avg_pool,n=1,c=40,h=7,w=7,kernel=7,layout=native",
        "op=activation,function=hardswish,n=1,c=24,h=14,w=14,layout=native",
        "op=binary,function=mul,n=1,c=24,h=14,w=14,broadcast=1,layout=native",
        "op=binary,function=add,n=1,c=24,h=14,w=14,layout=native",
        "op=concat,n=1,c=40,h=14,w=14,inputs=3,layout=native", "op=concat,n=1,c=64,h=14,w=14,inputs=2,layout=native",
        "op=softmax,n=1,c=1000,h=1,w=1,layout=native",
        "op=resize,function=linear,n=1,c=24,h=7,w=7,out_h=14,out_w=14,layout=native",
        "op=batch_norm,n=1,c=24,h=14,w=14,layout=native", "op=copy,n=1,c=24,h=14,w=14,layout=native"));

TEST(OneDnnBackendFailureTest, UnsupportedOpDtypeIsAFailedMeasurement) {
  const v1::Measurement m =
      MakeOneDnnBackend()->MeasureOp(*model::ParseOpSpec("op=activation,n=1,c=8,h=8,w=8,dtype=fp16"), FastTiming());
  EXPECT_TRUE(m.failed());
  EXPECT_THAT(m.failure_reason(), ::testing::HasSubstr("fp16"));
  EXPECT_EQ(m.op().kind(), v1::OP_KIND_ACTIVATION);
}

TEST(OneDnnBackendFailureTest, UnsupportedDtypeIsAFailedMeasurement) {
  auto backend = MakeOneDnnBackend();
  const std::vector<v1::Measurement> measurements =
      backend->Measure(*model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3,dtype=int8"), FastTiming());
  ASSERT_EQ(measurements.size(), 1u);
  const v1::Measurement& m = measurements[0];
  EXPECT_TRUE(m.failed());
  EXPECT_THAT(m.failure_reason(), ::testing::HasSubstr("int8"));
  EXPECT_EQ(m.latency().median_us(), 0);
  EXPECT_FALSE(m.has_hot_latency());
}

TEST(OneDnnBackendFailureTest, DescribesThePlatform) {
  absl::StatusOr<v1::Platform> platform = MakeOneDnnBackend()->DescribePlatform();
  ASSERT_TRUE(platform.ok());
  EXPECT_EQ(platform->kind(), v1::PLATFORM_KIND_CPU);
  EXPECT_FALSE(platform->device_name().empty());
  EXPECT_GT(platform->compute_units(), 0);
  EXPECT_GT(platform->memory_bytes(), 0);
  EXPECT_EQ(platform->library(), "onednn");
  EXPECT_GT(platform->last_level_cache_bytes(), 0);
  EXPECT_THAT(platform->library_version(), ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
}

// --last_level_cache_bytes: what the user says the cache is, the platform reports.
TEST(OneDnnBackendFailureTest, ReportsTheLastLevelCacheTheUserGave) {
  absl::StatusOr<v1::Platform> platform = MakeOneDnnBackend(int64_t{32} << 20)->DescribePlatform();
  ASSERT_TRUE(platform.ok());
  EXPECT_EQ(platform->last_level_cache_bytes(), int64_t{32} << 20);
}

}  // namespace
}  // namespace convlat::agent
