#include "model/work_quantization.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "model/conv_spec.h"
#include "model/kernel_name.h"
#include "model/neusight_dataset.h"

namespace convlat::model {
namespace {

TEST(WorkQuantizationTest, CtasAndWaves) {
  const ConvShape shape = ResolveConvShape(*ParseConvSpec("n=1,c=64,h=56,w=56,k=100,r=3,s=3,pad=1"));
  EXPECT_EQ(ImplicitGemmCtas(shape, 128, 64), 25 * 2);  // ⌈3136/128⌉ · ⌈100/64⌉
  EXPECT_EQ(Waves(50, 40), 2);
  EXPECT_EQ(Waves(80, 40), 2);
  EXPECT_EQ(Waves(81, 40), 3);
}

// The mapping predicts the grid cuDNN actually launched, for every implicit-GEMM kernel in the
// public measurements of three GPUs (T4, V100, A100).
TEST(WorkQuantizationTest, MatchesTheObservedGridOfEveryImplicitGemmKernel) {
  const std::string dir = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/../shared/datasets") + "/neusight-conv3x3";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "public dataset not found at " << dir;
  int checked = 0;
  for (const char* file : {"Tesla_T4.csv", "Tesla_V100-PCIE-32GB.csv", "NVIDIA_A100_80GB_PCIe.csv"}) {
    absl::StatusOr<NeuSightDataset> dataset = LoadNeuSightCsv(dir + "/" + file);
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    for (const v1::Measurement& m : dataset->measurements) {
      const KernelInfo kernel = ParseKernelName(m.algorithm());
      if (kernel.family != KernelFamily::kImplicitGemm) continue;
      const v1::Dim3& grid = m.kernels(0).grid();
      ASSERT_EQ(ImplicitGemmCtas(ResolveConvShape(m.params()), kernel.tile_m, kernel.tile_n),
                int64_t{grid.x()} * grid.y() * grid.z())
          << file << ": " << m.algorithm() << " " << FormatConvSpec(m.params());
      ++checked;
    }
  }
  EXPECT_GT(checked, 3000);
}

}  // namespace
}  // namespace convlat::model

namespace convlat::model {
namespace {

// A row of the public T4 data: volta_sgemm_64x64_nn after cuDNN's non-fused Winograd transform
// ran with grid 3 x 6 x 36 for n=38, c=893, k=326, 5x5 input, 3x3 filter, padding 1.
TEST(WorkQuantizationTest, NonFusedWinogradRunsThirtySixBatchedGemms) {
  const ConvShape shape = ResolveConvShape(*ParseConvSpec("n=38,c=893,h=5,w=5,k=326,r=3,s=3,pad=1"));
  EXPECT_EQ(CtasFor(shape, WorkMapping::kWinograd4x4, 64, 64), 3 * 6 * 36);
  EXPECT_EQ(CtasFor(shape, WorkMapping::kImplicitGemm, 64, 64), ImplicitGemmCtas(shape, 64, 64));
  EXPECT_EQ(WorkMappingName(WorkMapping::kWinograd2x2), "winograd_2x2");
}

}  // namespace
}  // namespace convlat::model
