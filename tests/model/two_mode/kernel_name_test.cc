#include "model/two_mode/kernel_name.h"

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"

namespace convlat::model {
namespace {

struct Case {
  const char* name;
  KernelFamily family;
  int tile_m, tile_n;
};

TEST(KernelNameTest, KnownNames) {
  const Case cases[] = {
      {"volta_sgemm_128x64_nn", KernelFamily::kGemm, 128, 64},
      {"ampere_sgemm_128x128_nn", KernelFamily::kGemm, 128, 128},
      {"cudnn_infer_volta_scudnn_winograd_128x128_ldg1_ldg4_relu_tile148t_nt_v1", KernelFamily::kWinograd, 128, 128},
      {"cudnn_infer_ampere_scudnn_128x32_relu_small_nn_v1", KernelFamily::kImplicitGemm, 128, 32},
      {"cudnn_infer_volta_scudnn_128x32_sliced1x4_ldg4_relu_exp_medium_nhwc_tn_v1", KernelFamily::kImplicitGemm, 128,
       32},
      {"ampere_gcgemm_64x32_nt", KernelFamily::kFft, 64, 32},
      {"sm90_xmma_fprop_implicit_gemm_f16f16_f16f32_f32_nhwckrsc_nhwc_tilesize128x256x64_warpgroupsize1x1x1",
       KernelFamily::kImplicitGemm, 128, 256},
      {"void implicit_convolve_sgemm<float, float, 128, 5, 5, 3, 3, 3, 1, false, false, true>(int, int)",
       KernelFamily::kLegacy, 0, 0},
      {"void cudnn::winograd_nonfused::winogradForwardData4x4<float, float>(...)", KernelFamily::kWinograd, 0, 0},
      {"elementwise_kernel", KernelFamily::kUnknown, 0, 0},
  };
  for (const Case& c : cases) {
    const KernelInfo info = ParseKernelName(c.name);
    EXPECT_EQ(info.family, c.family) << c.name;
    EXPECT_EQ(info.tile_m, c.tile_m) << c.name;
    EXPECT_EQ(info.tile_n, c.tile_n) << c.name;
  }
}

// Every main kernel in the public NeuSight measurements has a known family, and every
// non-legacy one a tile.
TEST(KernelNameTest, EveryKernelOfThePublicDatasetsIsRecognised) {
  const std::string dir = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3";
  ASSERT_TRUE(std::filesystem::exists(dir)) << "public dataset not found at " << dir;
  for (const char* file : {"Tesla_T4.csv", "Tesla_V100-PCIE-32GB.csv", "NVIDIA_A100_80GB_PCIe.csv"}) {
    absl::StatusOr<NeuSightDataset> dataset = LoadNeuSightCsv(dir + "/" + file);
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    std::map<std::string, int> families;
    for (const v1::Measurement& m : dataset->measurements) {
      const KernelInfo info = ParseKernelName(m.algorithm());
      ASSERT_NE(info.family, KernelFamily::kUnknown) << m.algorithm();
      if (info.family != KernelFamily::kLegacy) {
        ASSERT_GT(info.tile_m * info.tile_n, 0) << m.algorithm();
      }
      ++families[KernelFamilyName(info.family)];
    }
    EXPECT_GT(families["gemm"], 0) << file;
    EXPECT_GT(families["winograd"], 0) << file;
    EXPECT_GT(families["implicit_gemm"], 0) << file;
  }
}

}  // namespace
}  // namespace convlat::model
