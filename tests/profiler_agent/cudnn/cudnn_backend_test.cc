// Real cuDNN convolutions and other ops on this machine's GPU. Every test skips, saying why, where there is no
// CUDA GPU (cudaGetDeviceCount fails or finds none).
#include "profiler_agent/cudnn/cudnn_backend.h"

#include <set>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "model/layers/conv_spec.h"
#include "model/layers/op_params.h"
#include "profiler_agent/cudnn/cuda_device.h"
#include "profiler_agent/cudnn/cupti_recorder.h"
#include "tests/profiler_agent/backend/fast_timing.h"
#include "tests/profiler_agent/cudnn/needs_gpu.h"

namespace convlat::agent {
namespace {

using ::testing::HasSubstr;

using CudnnGpuTest = NeedsGpu<::testing::Test>;

std::unique_ptr<ConvBackend> Backend(AlgoSelection algo) {
  absl::StatusOr<std::unique_ptr<ConvBackend>> backend = MakeCudnnBackend(algo);
  EXPECT_TRUE(backend.ok()) << backend.status();
  return backend.ok() ? *std::move(backend) : nullptr;
}

void ExpectRealMeasurement(const v1::Measurement& m) {
  ASSERT_FALSE(m.failed()) << m.algorithm() << ": " << m.failure_reason();
  EXPECT_EQ(m.backend(), "cudnn");
  EXPECT_FALSE(m.algorithm().empty());
  EXPECT_GT(m.latency().median_us(), 0);
  EXPECT_LE(m.latency().min_us(), m.latency().median_us());
  EXPECT_LE(m.latency().median_us(), m.latency().p90_us());
  EXPECT_GE(m.latency().repetitions(), 1);  // how many fit the time limits depends on the load (repetition_rule_test)
  EXPECT_GT(m.measured_at().seconds(), 0);
  ASSERT_GT(m.kernels_size(), 0) << "CUPTI recorded no kernel";
  for (const v1::KernelRecord& kernel : m.kernels()) {
    EXPECT_FALSE(kernel.name().empty());
    EXPECT_GT(kernel.grid().x(), 0u) << kernel.name();
    EXPECT_GT(kernel.block().x(), 0u) << kernel.name();
    EXPECT_GT(kernel.registers_per_thread(), 0) << kernel.name();
    EXPECT_GT(kernel.duration_us(), 0) << kernel.name();
  }
}

class CudnnBackendTest : public NeedsGpu<::testing::TestWithParam<const char*>> {};

TEST_P(CudnnBackendTest, MeasuresARealConvolutionWithItsKernels) {
  auto backend = Backend(AlgoSelection::kHeuristic);
  ASSERT_NE(backend, nullptr);
  const std::vector<v1::Measurement> measurements = backend->Measure(*model::ParseConvSpec(GetParam()), FastTiming());
  ASSERT_EQ(measurements.size(), 1u);
  ExpectRealMeasurement(measurements[0]);
}

INSTANTIATE_TEST_SUITE_P(
    Layers, CudnnBackendTest,
    ::testing::Values("n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1", "n=8,c=64,h=56,w=56,k=64,r=3,s=3,pad=1,layout=nhwc",
                      "n=1,c=64,h=56,w=56,k=64,r=3,s=3,pad=1,dtype=fp16,layout=nhwc,math=tensor_op",
                      "n=1,c=32,h=112,w=112,k=32,r=3,s=3,pad=1,groups=32",
                      "n=1,c=16,h=28,w=28,k=16,r=3,s=3,pad=2,dilation=2",
                      "n=1,c=8,h=15,w=9,k=12,r=5,s=3,stride_h=2,stride_w=1,pad_h=2,pad_w=0,groups=4"));

TEST_F(CudnnGpuTest, Bf16TensorOpOnAmpereAndNewer) {
  auto backend = Backend(AlgoSelection::kHeuristic);
  ASSERT_NE(backend, nullptr);
  const std::vector<v1::Measurement> measurements = backend->Measure(
      *model::ParseConvSpec("n=1,c=64,h=28,w=28,k=64,r=3,s=3,pad=1,dtype=bf16,layout=nhwc,math=tensor_op"),
      FastTiming());
  ASSERT_EQ(measurements.size(), 1u);
  if (QueryCudaDevice(0)->compute_capability_major < 8) {
    EXPECT_TRUE(measurements[0].failed());
    EXPECT_THAT(measurements[0].failure_reason(), HasSubstr("bf16"));
  } else {
    ExpectRealMeasurement(measurements[0]);
  }
}

TEST_F(CudnnGpuTest, AllTimesEverySupportedAlgorithmSeparately) {
  auto backend = Backend(AlgoSelection::kAll);
  ASSERT_NE(backend, nullptr);
  const std::vector<v1::Measurement> measurements =
      backend->Measure(*model::ParseConvSpec("n=1,c=32,h=28,w=28,k=32,r=3,s=3,pad=1"), FastTiming());
  ASSERT_GE(measurements.size(), 2u) << "a 3x3 fp32 convolution has several algorithms";
  std::set<std::string> algorithms;
  int succeeded = 0;
  for (const v1::Measurement& m : measurements) {
    EXPECT_FALSE(m.algorithm().empty());
    algorithms.insert(m.algorithm());
    if (!m.failed()) {
      ++succeeded;
      ExpectRealMeasurement(m);
    }
  }
  EXPECT_EQ(algorithms.size(), measurements.size()) << "each algorithm once";
  EXPECT_GE(succeeded, 1);
}

// Exhaustive keeps the algorithm cudnnFindConvolutionForwardAlgorithmEx timed fastest: one real
// measurement of an algorithm that `all` offers for the same layer. Whether it is also the fastest
// by our own timing is not checked: cuDNN's timing and ours can differ by more than the gaps between
// the leading algorithms, so such a check would fail on noise.
TEST_F(CudnnGpuTest, ExhaustiveTimesOneOfTheAlgorithmsAllOffers) {
  const v1::ConvParams layer = *model::ParseConvSpec("n=4,c=64,h=28,w=28,k=128,r=3,s=3,pad=1");
  auto exhaustive = Backend(AlgoSelection::kExhaustive);
  auto all = Backend(AlgoSelection::kAll);
  ASSERT_NE(exhaustive, nullptr);
  ASSERT_NE(all, nullptr);
  const std::vector<v1::Measurement> chosen = exhaustive->Measure(layer, FastTiming());
  ASSERT_EQ(chosen.size(), 1u);
  ExpectRealMeasurement(chosen[0]);
  std::set<std::string> offered;
  for (const v1::Measurement& m : all->Measure(layer, FastTiming())) offered.insert(m.algorithm());
  EXPECT_THAT(offered, ::testing::Contains(chosen[0].algorithm()));
}

TEST_F(CudnnGpuTest, Int8IsAFailedMeasurementAndTheSweepGoesOn) {
  auto backend = Backend(AlgoSelection::kHeuristic);
  ASSERT_NE(backend, nullptr);
  const std::vector<v1::Measurement> failed =
      backend->Measure(*model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3,dtype=int8"), FastTiming());
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_TRUE(failed[0].failed());
  EXPECT_THAT(failed[0].failure_reason(), HasSubstr("int8"));
  EXPECT_EQ(failed[0].latency().median_us(), 0);
  const std::vector<v1::Measurement> next =
      backend->Measure(*model::ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3"), FastTiming());
  ASSERT_EQ(next.size(), 1u);
  ExpectRealMeasurement(next[0]);
}

TEST_F(CudnnGpuTest, DescribesTheGpu) {
  auto backend = Backend(AlgoSelection::kHeuristic);
  ASSERT_NE(backend, nullptr);
  absl::StatusOr<v1::Platform> platform = backend->DescribePlatform();
  ASSERT_TRUE(platform.ok()) << platform.status();
  EXPECT_EQ(platform->kind(), v1::PLATFORM_KIND_GPU);
  EXPECT_FALSE(platform->device_name().empty());
  EXPECT_GT(platform->compute_units(), 0);
  EXPECT_GT(platform->core_clock_mhz(), 0);
  EXPECT_GT(platform->memory_clock_mhz(), 0);
  EXPECT_GT(platform->memory_bytes(), 0);
  EXPECT_GT(platform->memory_bandwidth_gbps(), 0);
  EXPECT_GT(platform->l2_cache_bytes(), 0);
  EXPECT_THAT(platform->compute_capability(), ::testing::MatchesRegex("[0-9]+\\.[0-9]+"));
  EXPECT_THAT(platform->driver_version(), ::testing::MatchesRegex("[0-9]+\\.[0-9]+"));
  EXPECT_EQ(platform->library(), "cudnn");
  EXPECT_THAT(platform->library_version(), ::testing::MatchesRegex("9\\.[0-9]+\\.[0-9]+"));
}

TEST_F(CudnnGpuTest, OneRecorderPerProcess) {
  absl::StatusOr<std::unique_ptr<CuptiKernelRecorder>> first = CuptiKernelRecorder::Create();
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(CuptiKernelRecorder::Create().status().code(), absl::StatusCode::kFailedPrecondition);
  first->reset();
  EXPECT_TRUE(CuptiKernelRecorder::Create().ok());
}

class CudnnOpTest : public NeedsGpu<::testing::TestWithParam<const char*>> {};

// Every op kind the importer produces, timed on the GPU in each type and layout (their results
// are checked against a CPU reference by gpu_op_numerics_test).
TEST_P(CudnnOpTest, TimesTheOpWithItsKernels) {
  auto backend = Backend(AlgoSelection::kHeuristic);
  ASSERT_NE(backend, nullptr);
  const bool bf16 = QueryCudaDevice(0)->compute_capability_major >= 8;
  for (const char* dtype : {"fp32", "fp16", "bf16"}) {
    if (std::string(dtype) == "bf16" && !bf16) continue;
    for (const char* layout : {"nchw", "nhwc"}) {
      const std::string spec = absl::StrCat(GetParam(), ",dtype=", dtype, ",layout=", layout);
      SCOPED_TRACE(spec);
      const v1::Measurement m = backend->MeasureOp(*model::ParseOpSpec(spec), FastTiming());
      ExpectRealMeasurement(m);
      EXPECT_TRUE(m.has_op());
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryKind, CudnnOpTest,
    ::testing::Values("op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1",
                      "op=avg_pool,n=1,c=1280,h=7,w=7,kernel=7", "op=activation,function=relu,n=1,c=64,h=56,w=56",
                      "op=activation,function=clip,n=1,c=64,h=56,w=56",
                      "op=activation,function=hardswish,n=1,c=64,h=56,w=56",
                      "op=activation,function=silu,n=1,c=64,h=56,w=56",
                      "op=activation,function=gelu,n=1,c=64,h=56,w=56", "op=binary,function=add,n=1,c=64,h=56,w=56",
                      "op=binary,function=mul,n=1,c=96,h=56,w=56,broadcast=1",
                      "op=binary,function=div,n=1,c=96,h=56,w=56,broadcast=1", "op=concat,n=1,c=256,h=28,w=28,inputs=4",
                      "op=softmax,n=1,c=1000,h=1,w=1", "op=resize,function=linear,n=1,c=64,h=28,w=28,out_h=56,out_w=56",
                      "op=resize,function=nearest,n=1,c=64,h=28,w=28,out_h=56,out_w=56",
                      "op=batch_norm,n=1,c=64,h=56,w=56", "op=copy,n=1,c=64,h=56,w=56"));

TEST_F(CudnnGpuTest, AnOpTheGpuCannotRunIsAFailedMeasurementAndTheSweepGoesOn) {
  auto backend = Backend(AlgoSelection::kHeuristic);
  ASSERT_NE(backend, nullptr);
  const v1::Measurement failed =
      backend->MeasureOp(*model::ParseOpSpec("op=activation,n=1,c=8,h=8,w=8,dtype=int8"), FastTiming());
  EXPECT_TRUE(failed.failed());
  EXPECT_THAT(failed.failure_reason(), HasSubstr("int8"));
  ExpectRealMeasurement(backend->MeasureOp(*model::ParseOpSpec("op=activation,n=1,c=8,h=8,w=8"), FastTiming()));
}

TEST(CudnnBackendNoGpuTest, MakeCudnnBackendSaysWhyWithoutAGpu) {
  if (WhyNoGpu().empty()) GTEST_SKIP() << "this machine has a GPU";
  absl::StatusOr<std::unique_ptr<ConvBackend>> backend = MakeCudnnBackend(AlgoSelection::kHeuristic);
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(backend.status().message(), HasSubstr("no usable CUDA GPU"));
}

}  // namespace
}  // namespace convlat::agent
