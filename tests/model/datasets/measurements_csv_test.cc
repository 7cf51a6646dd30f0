#include "model/datasets/measurements_csv.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "model/layers/conv_shape.h"
#include "model/layers/op_params.h"

namespace convlat::model {
namespace {

using ::testing::HasSubstr;

TEST(MeasurementsCsvTest, ReadsRequiredAndOptionalColumns) {
  std::istringstream in(
      "n,c,h,w,k,r,s,stride_h,stride_w,pad_h,pad_w,groups,dtype,layout,median_us,p90_us,algorithm\n"
      "1,64,56,56,64,3,3,1,1,1,1,1,fp16,nhwc,120.5,130,\"implicit_gemm, tile 128x64\"\n"
      "8,32,112,112,32,3,3,2,2,1,1,32,fp32,nchw,88,,\n");
  absl::StatusOr<std::vector<v1::Measurement>> rows = ParseMeasurementsCsv(in, "seed.csv", "importer");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].params().dtype(), v1::DATA_TYPE_FP16);
  EXPECT_EQ((*rows)[0].params().layout(), v1::LAYOUT_NHWC);
  EXPECT_DOUBLE_EQ((*rows)[0].latency().median_us(), 120.5);
  EXPECT_EQ((*rows)[0].algorithm(), "implicit_gemm, tile 128x64");
  EXPECT_EQ((*rows)[0].backend(), "import");
  EXPECT_EQ((*rows)[1].params().groups(), 32);
  EXPECT_EQ((*rows)[1].params().dilation_h(), 1);  // normalized
  EXPECT_EQ((*rows)[1].agent_id(), "importer");
}

TEST(MeasurementsCsvTest, ErrorsNameLineAndColumn) {
  auto error = [](const std::string& text) {
    std::istringstream in(text);
    return std::string(ParseMeasurementsCsv(in, "seed.csv", "a").status().message());
  };
  EXPECT_THAT(error("n,c,h,w,k,r,s\n"), HasSubstr("seed.csv:1: required column 'median_us' is missing"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us,colour\n"), HasSubstr("unknown column 'colour'"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us\n1,3,8,8,4,3,3,5\n1,x,8,8,4,3,3,5\n"),
              HasSubstr("seed.csv:3: column 'c' is not an integer"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us\n1,3,8,8,0,3,3,5\n"), HasSubstr("seed.csv:2: k must be > 0"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us\n1,3,8,8,4,3,3,-1\n"), HasSubstr("'median_us' must be > 0"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us,dtype\n1,3,8,8,4,3,3,5,fp64\n"),
              HasSubstr("column 'dtype' unknown dtype"));
  EXPECT_THAT(error("n,c,h,w,k,r,s,median_us\n"), HasSubstr("no measurements"));
}

TEST(MeasurementsCsvTest, WrittenRowsReadBackWithTheirKernel) {
  v1::Measurement m;
  m.mutable_params()->set_n(2);
  m.mutable_params()->set_c(64);
  m.mutable_params()->set_h(28);
  m.mutable_params()->set_w(30);
  m.mutable_params()->set_k(96);
  m.mutable_params()->set_r(3);
  m.mutable_params()->set_s(3);
  m.mutable_params()->set_pad_h(1);
  m.mutable_params()->set_pad_w(1);
  m.mutable_params()->set_dtype(v1::DATA_TYPE_FP16);
  m.mutable_params()->set_math_mode(v1::MATH_MODE_TENSOR_OP);
  m.set_backend("cudnn");
  m.set_algorithm("implicit_precomp_gemm:tensor_op");
  m.mutable_latency()->set_median_us(41.25);
  m.mutable_latency()->set_p90_us(43.5);
  m.mutable_latency()->set_repetitions(200);
  m.set_workspace_bytes(4096);
  v1::KernelRecord* offsets = m.add_kernels();
  offsets->set_name("void cask::computeOffsetsKernel<false, false>(cask::ComputeOffsetsParams)");
  offsets->set_duration_us(1.5);
  v1::KernelRecord* main = m.add_kernels();
  main->set_name("void cutlass_kernel<float, \"quoted\", 128x64>(Params)");
  main->set_duration_us(38);
  main->mutable_grid()->set_x(49);
  main->mutable_grid()->set_y(2);
  main->mutable_grid()->set_z(1);

  v1::Measurement failed = m;
  failed.set_failed(true);
  EXPECT_EQ(MeasurementCsvRow(failed), "");

  std::istringstream in(MeasurementsCsvHeader() + MeasurementCsvRow(m));
  absl::StatusOr<std::vector<v1::Measurement>> rows = ParseMeasurementsCsv(in, "out.csv", "reader");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  const v1::Measurement& back = (*rows)[0];
  v1::ConvParams expected = m.params();
  NormalizeConvParams(expected);
  EXPECT_EQ(back.params().SerializeAsString(), expected.SerializeAsString());
  EXPECT_EQ(back.backend(), "cudnn");
  EXPECT_EQ(back.algorithm(), "implicit_precomp_gemm:tensor_op");
  EXPECT_DOUBLE_EQ(back.latency().median_us(), 41.25);
  EXPECT_DOUBLE_EQ(back.latency().p90_us(), 43.5);
  EXPECT_EQ(back.latency().repetitions(), 200);
  EXPECT_EQ(back.workspace_bytes(), 4096);
  ASSERT_EQ(back.kernels_size(), 1);  // the main kernel: the longest
  EXPECT_EQ(back.kernels(0).name(), main->name());
  EXPECT_EQ(back.kernels(0).grid().x(), 49u);
  EXPECT_EQ(back.kernels(0).grid().y(), 2u);
}

TEST(MeasurementsCsvTest, OpRowsRoundTripBesideConvRows) {
  v1::Measurement conv;
  conv.mutable_params()->set_n(1);
  conv.mutable_params()->set_c(8);
  conv.mutable_params()->set_h(8);
  conv.mutable_params()->set_w(8);
  conv.mutable_params()->set_k(8);
  conv.mutable_params()->set_r(1);
  conv.mutable_params()->set_s(1);
  conv.mutable_latency()->set_median_us(3.5);
  v1::Measurement pool;
  *pool.mutable_op() = *ParseOpSpec("op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1");
  pool.mutable_latency()->set_median_us(250);
  pool.set_algorithm("jit:avx512_core");
  pool.mutable_hot_latency()->set_median_us(61.25);  // the CPU agent's hot timing; the conv has none
  std::istringstream in(MeasurementsCsvHeader() + MeasurementCsvRow(conv) + MeasurementCsvRow(pool));
  absl::StatusOr<std::vector<v1::Measurement>> rows = ParseMeasurementsCsv(in, "mixed.csv", "a");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_FALSE((*rows)[0].has_op());
  EXPECT_EQ((*rows)[0].params().k(), 8);
  EXPECT_FALSE((*rows)[1].has_params());
  EXPECT_EQ(FormatOpSpec((*rows)[1].op()), "op=max_pool,n=1,c=64,h=112,w=112,kernel=3,stride=2,pad=1");
  EXPECT_DOUBLE_EQ((*rows)[1].latency().median_us(), 250);
  EXPECT_EQ((*rows)[1].algorithm(), "jit:avx512_core");
  EXPECT_FALSE((*rows)[0].has_hot_latency());
  EXPECT_DOUBLE_EQ((*rows)[1].hot_latency().median_us(), 61.25);
}

TEST(MeasurementsCsvTest, AHotMedianMustBePositive) {
  std::istringstream in("n,c,h,w,k,r,s,median_us,hot_median_us\n1,8,8,8,8,1,1,3.5,0\n");
  absl::StatusOr<std::vector<v1::Measurement>> rows = ParseMeasurementsCsv(in, "hot.csv", "a");
  EXPECT_EQ(rows.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rows.status().message(), HasSubstr("hot.csv:2: column 'hot_median_us' must be > 0"));
}

TEST(MeasurementsCsvTest, OpOnlyFilesNeedNoConvColumnsAndBadOpsAreRefused) {
  std::istringstream ok("op,median_us\n\"op=copy,n=1,c=8,h=4,w=4\",2.5\n");
  absl::StatusOr<std::vector<v1::Measurement>> rows = ParseMeasurementsCsv(ok, "ops.csv", "a");
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ((*rows)[0].op().kind(), v1::OP_KIND_COPY);

  std::istringstream bad_op("op,median_us\n\"op=max_pool,n=1,c=8,h=4,w=4\",2.5\n");
  EXPECT_THAT(ParseMeasurementsCsv(bad_op, "ops.csv", "a").status().message(),
              HasSubstr("ops.csv:2: op.kernel_h and kernel_w are required"));
  std::istringstream both("n,c,h,w,k,r,s,op,median_us\n1,8,4,4,8,1,1,\"op=copy,n=1,c=8,h=4,w=4\",2.5\n");
  EXPECT_THAT(ParseMeasurementsCsv(both, "ops.csv", "a").status().message(),
              HasSubstr("ops.csv:2: a row is a convolution or an op"));
}

}  // namespace
}  // namespace convlat::model
