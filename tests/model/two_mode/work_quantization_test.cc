#include "model/two_mode/work_quantization.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "model/layers/conv_spec.h"
#include "model/two_mode/kernel_name.h"

namespace convlat::model {
namespace {

TEST(WorkQuantizationTest, CtasAndWaves) {
  const ConvShape shape = ResolveConvShape(*ParseConvSpec("n=1,c=64,h=56,w=56,k=100,r=3,s=3,pad=1"));
  EXPECT_EQ(ImplicitGemmCtas(shape, 128, 64), 25 * 2);  // ⌈3136/128⌉ · ⌈100/64⌉
  EXPECT_EQ(Waves(50, 40), 2);
  EXPECT_EQ(Waves(80, 40), 2);
  EXPECT_EQ(Waves(81, 40), 3);
}

// The mapping predicts the grid cuDNN actually launched for every implicit-GEMM kernel, every
// fused-Winograd kernel and every GEMM of non-fused Winograd in the public measurements of three
// GPUs (T4, V100, A100). The GEMM kernels' names do not say they ran Winograd: the transform
// kernels launched beside them do.
TEST(WorkQuantizationTest, MatchesTheObservedGridOfEveryImplicitGemmAndWinogradKernel) {
  const std::string dir = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3";
  ASSERT_TRUE(std::filesystem::exists(dir)) << "public dataset not found at " << dir;
  std::map<std::string, int> checked;
  for (const char* file : {"Tesla_T4.csv", "Tesla_V100-PCIE-32GB.csv", "NVIDIA_A100_80GB_PCIe.csv"}) {
    absl::StatusOr<NeuSightDataset> dataset = LoadNeuSightCsv(dir + "/" + file);
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    for (const v1::Measurement& m : dataset->measurements) {
      const KernelInfo kernel = ParseKernelName(m.algorithm());
      const bool after_winograd_transform = std::any_of(m.kernels().begin(), m.kernels().end(), [](const auto& k) {
        return absl::StrContains(absl::AsciiStrToLower(k.name()), "winograd_nonfused::winogradforwarddata4x4");
      });
      WorkMapping mapping;
      if (kernel.family == KernelFamily::kImplicitGemm) {
        mapping = WorkMapping::kImplicitGemm;
      } else if (kernel.family == KernelFamily::kWinograd && kernel.block.batch > 0) {
        mapping = WorkMapping::kFusedWinograd;
      } else if (kernel.family == KernelFamily::kGemm && after_winograd_transform) {
        mapping = WorkMapping::kWinograd4x4;
      } else {
        continue;  // legacy and FFT kernels: a few dozen rows, no mapping claimed
      }
      const v1::Dim3& grid = m.kernels(0).grid();
      const CtaTile tile{.m = kernel.tile_m, .n = kernel.tile_n, .block = kernel.block};
      ASSERT_EQ(CtasFor(ResolveConvShape(m.params()), mapping, tile), int64_t{grid.x()} * grid.y() * grid.z())
          << file << ": " << m.algorithm() << " " << FormatConvSpec(m.params());
      ++checked[WorkMappingName(mapping)];
    }
  }
  EXPECT_GT(checked["implicit_gemm"], 3000);
  EXPECT_GT(checked["fused_winograd"], 3000);
  EXPECT_GT(checked["winograd_4x4"], 6000);
}

}  // namespace
}  // namespace convlat::model

namespace convlat::model {
namespace {

// A row of the public T4 data: volta_sgemm_64x64_nn after cuDNN's non-fused Winograd transform
// ran with grid 3 x 6 x 36 for n=38, c=893, k=326, 5x5 input, 3x3 filter, padding 1.
TEST(WorkQuantizationTest, NonFusedWinogradRunsThirtySixBatchedGemms) {
  const ConvShape shape = ResolveConvShape(*ParseConvSpec("n=38,c=893,h=5,w=5,k=326,r=3,s=3,pad=1"));
  const CtaTile tile{.m = 64, .n = 64};
  EXPECT_EQ(CtasFor(shape, WorkMapping::kWinograd4x4, tile), 3 * 6 * 36);  // 48 padded images x 4 tiles / 64
  EXPECT_EQ(CtasFor(shape, WorkMapping::kImplicitGemm, tile), ImplicitGemmCtas(shape, 64, 64));
  EXPECT_EQ(ReductionLength(shape, WorkMapping::kWinograd4x4), 893);
  EXPECT_EQ(ReductionLength(shape, WorkMapping::kImplicitGemm), 893 * 9);
  const TransformedElements transformed = MaterializedTransforms(shape, WorkMapping::kWinograd4x4);
  EXPECT_EQ(transformed.input, 36.0 * 48 * 4 * 893);
  EXPECT_EQ(transformed.filter, 36.0 * 326 * 893);
  EXPECT_EQ(MaterializedTransforms(shape, WorkMapping::kImplicitGemm).input, 0);
  // im2col unrolls every 3x3 patch of the 5x5 output: n·P·Q rows of C·R·S.
  EXPECT_EQ(MaterializedTransforms(shape, WorkMapping::kExplicitGemm).input, 38.0 * 25 * 893 * 9);
  const ConvShape pointwise = ResolveConvShape(*ParseConvSpec("n=2,c=64,h=7,w=7,k=32,r=1,s=1"));
  EXPECT_EQ(MaterializedTransforms(pointwise, WorkMapping::kExplicitGemm).input, 0);
  EXPECT_EQ(WorkMappingName(WorkMapping::kWinograd2x2), "winograd_2x2");
}

}  // namespace
}  // namespace convlat::model

namespace convlat::model {
namespace {

// Rows of the public data: tile148t on a T4 (n=5, k=758, 24x24 output: grid 120 x 3 x 2) and
// tile442t on an A100 (n=8, k=70, 17x17 output: grid 6 x 3 x 5).
TEST(WorkQuantizationTest, FusedWinogradBlocksComeFromTheKernelName) {
  const KernelInfo t4 = ParseKernelName("cudnn_infer_volta_scudnn_winograd_128x128_ldg1_ldg4_relu_tile148t_nt_v1");
  EXPECT_EQ(t4.block.batch, 1);
  EXPECT_EQ(t4.block.p, 8);
  EXPECT_EQ(t4.block.q, 16);
  EXPECT_EQ(CtasFor(ResolveConvShape(*ParseConvSpec("n=5,c=119,h=24,w=24,k=758,r=3,s=3,pad=1")),
                    WorkMapping::kFusedWinograd, CtaTile{.block = t4.block}),
            120 * 3 * 2);
  const KernelInfo a100 = ParseKernelName("cudnn_infer_ampere_scudnn_winograd_128x128_ldg1_ldg4_relu_tile442t_nt_v1");
  EXPECT_EQ(CtasFor(ResolveConvShape(*ParseConvSpec("n=8,c=513,h=17,w=17,k=70,r=3,s=3,pad=1")),
                    WorkMapping::kFusedWinograd, CtaTile{.block = a100.block}),
            6 * 3 * 5);
  EXPECT_EQ(ParseKernelName("volta_sgemm_128x64_nn").block.batch, 0);
}

// A prediction hands the staircases the output size it computed once (ConvFeatures); the grid and
// the materialized transforms must not depend on which way it came.
TEST(WorkQuantizationTest, OutputSizeFromTheFeaturesGivesTheSameGridAndTransforms) {
  const KernelInfo fused = ParseKernelName("cudnn_infer_volta_scudnn_winograd_128x128_ldg1_ldg4_relu_tile148t_nt_v1");
  for (const char* spec : {"n=5,c=119,h=24,w=24,k=758,r=3,s=3,pad=1", "n=3,c=64,h=57,w=31,k=100,r=3,s=3,pad=1",
                           "n=2,c=32,h=55,w=55,k=64,r=5,s=5,stride=2,pad=2", "n=1,c=16,h=9,w=7,k=8,r=1,s=1"}) {
    const ConvShape shape = ResolveConvShape(*ParseConvSpec(spec));
    const ConvFeatures features = ComputeFeatures(shape);
    for (WorkMapping mapping : {WorkMapping::kImplicitGemm, WorkMapping::kExplicitGemm, WorkMapping::kWinograd4x4,
                                WorkMapping::kWinograd2x2, WorkMapping::kFusedWinograd}) {
      const CtaTile tile{.m = 64, .n = 32, .block = fused.block, .split_k = 2};
      const GridDims expected = LaunchGrid(shape, mapping, tile);
      const GridDims grid = LaunchGrid(shape, features, mapping, tile);
      EXPECT_GT(expected.ctas(), 0) << spec << " " << WorkMappingName(mapping);
      EXPECT_EQ(grid.x, expected.x) << spec << " " << WorkMappingName(mapping);
      EXPECT_EQ(grid.y, expected.y) << spec << " " << WorkMappingName(mapping);
      EXPECT_EQ(grid.z, expected.z) << spec << " " << WorkMappingName(mapping);
      const TransformedElements want = MaterializedTransforms(shape, mapping);
      const TransformedElements got = MaterializedTransforms(shape, features, mapping);
      EXPECT_EQ(got.input, want.input) << spec << " " << WorkMappingName(mapping);
      EXPECT_EQ(got.output, want.output) << spec << " " << WorkMappingName(mapping);
      EXPECT_EQ(got.filter, want.filter) << spec << " " << WorkMappingName(mapping);
    }
  }
}

TEST(WorkQuantizationTest, WinogradRunsOnlyThreeByThreeStrideOne) {
  const ConvShape three = ResolveConvShape(*ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3,pad=1"));
  const ConvShape strided = ResolveConvShape(*ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=3,s=3,pad=1,stride=2"));
  const ConvShape pointwise = ResolveConvShape(*ParseConvSpec("n=1,c=8,h=8,w=8,k=8,r=1,s=1"));
  for (WorkMapping winograd : {WorkMapping::kWinograd4x4, WorkMapping::kWinograd2x2, WorkMapping::kFusedWinograd}) {
    EXPECT_TRUE(MappingApplies(winograd, three));
    EXPECT_FALSE(MappingApplies(winograd, strided));
    EXPECT_FALSE(MappingApplies(winograd, pointwise));
  }
  EXPECT_TRUE(MappingApplies(WorkMapping::kImplicitGemm, strided));
  EXPECT_TRUE(MappingApplies(WorkMapping::kExplicitGemm, pointwise));
}

}  // namespace
}  // namespace convlat::model
