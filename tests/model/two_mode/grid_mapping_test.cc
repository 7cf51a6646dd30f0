#include "model/two_mode/grid_mapping.h"

#include <filesystem>
#include <iostream>
#include <set>

#include <gtest/gtest.h>

#include "model/datasets/neusight_dataset.h"
#include "model/datasets/public_datasets.h"
#include "model/eval/evaluation.h"
#include "model/layers/conv_spec.h"
#include "model/two_mode/two_mode_model.h"

namespace convlat::model {
namespace {

std::vector<Sample> PublicSamples(const char* file) {
  const std::string path = DatasetsDir(std::string(CONVLAT_SOURCE_DIR) + "/data/public") + "/neusight-conv3x3/" + file;
  absl::StatusOr<NeuSightDataset> data = LoadNeuSightCsv(path);
  EXPECT_TRUE(data.ok()) << path << ": " << data.status();
  return data.ok() ? SamplesFromMeasurements(data->measurements) : std::vector<Sample>{};
}

std::vector<const Sample*> Pointers(const std::vector<Sample>& samples) {
  std::vector<const Sample*> pointers;
  for (const Sample& s : samples) pointers.push_back(&s);
  return pointers;
}

class GridMappingOnPublicDataTest : public ::testing::TestWithParam<const char*> {};

// Every NeuSight kernel treated as unknown (no name hint): the mappings read off the grids
// reproduce the CTA count (and x, y, z) of every layer but those of FFT (gcgemm) and cuDNN's
// precomputed kernels (9 of 4,969 on the T4, 240 of 4,787 on the A100), and for every
// implicit-GEMM and Winograd kernel the table knows they find the table's own tile.
TEST_P(GridMappingOnPublicDataTest, InfersTheTableMappingsWithTheNamesHidden) {
  const std::vector<Sample> samples = PublicSamples(GetParam());
  ASSERT_GT(samples.size(), 1000u);
  const GridInferenceSummary hidden = SummarizeGridInference(samples, /*use_names=*/false);
  std::cout << GetParam() << ": " << hidden.kernels_exact << " of " << hidden.kernels << " kernels, "
            << hidden.layers_exact << " of " << hidden.layers << " layers reproduced exactly (" << hidden.layers_axes
            << " axis by axis); inferred tile = table tile for " << hidden.kernels_as_table << " of "
            << hidden.kernels_in_table << " named kernels\n";
  int unexplained = 0, unexplained_kernels = 0;  // FFT and cuDNN's precomputed kernels
  std::set<std::string> seen;
  for (const Sample& s : samples) {
    const bool other = ParseKernelName(s.kernel).family == KernelFamily::kFft || s.kernel.find("precomputed") == 0 ||
                       s.kernel.find("void precomputed") == 0;
    unexplained += other;
    if (other && seen.insert(s.kernel).second) ++unexplained_kernels;
  }
  EXPECT_GE(hidden.layers_exact, hidden.layers - unexplained);
  EXPECT_GE(hidden.layers_axes, 0.99 * hidden.layers_exact);
  EXPECT_GE(hidden.kernels_exact, hidden.kernels - unexplained_kernels);
  EXPECT_GE(hidden.kernels_as_table, hidden.kernels_in_table - 1);  // a kernel of 2 layers: tiles tie

  // Kernel by kernel for those the table maps (implicit GEMM, fused and non-fused Winograd).
  std::map<std::string, std::vector<const Sample*>> by_kernel;
  for (const Sample& s : samples) by_kernel[s.kernel].push_back(&s);
  int checked = 0;
  for (const auto& [kernel, members] : by_kernel) {
    const KernelInfo info = ParseKernelName(kernel);
    const bool mapped = info.family == KernelFamily::kImplicitGemm || info.family == KernelFamily::kGemm ||
                        (info.family == KernelFamily::kWinograd && info.block.batch > 0);
    if (!mapped || members.size() < 4) continue;  // a few layers cannot tell tiles apart
    const std::optional<GridFit> fit = FitGridMapping(members, KernelInfo{});
    ASSERT_TRUE(fit.has_value()) << kernel;
    EXPECT_EQ(fit->ctas_matched, fit->samples_with_grid) << kernel;
    if (info.block.batch > 0) {
      EXPECT_EQ(fit->mapping, WorkMapping::kFusedWinograd) << kernel;
      EXPECT_EQ(fit->tile.block.p, info.block.p) << kernel;
      EXPECT_EQ(fit->tile.block.q, info.block.q) << kernel;
    } else {
      EXPECT_EQ(fit->tile.m, info.tile_m) << kernel;
      EXPECT_EQ(fit->tile.n, info.tile_n) << kernel;
      EXPECT_EQ(fit->mapping,
                info.family == KernelFamily::kGemm ? WorkMapping::kWinograd4x4 : WorkMapping::kImplicitGemm)
          << kernel;
    }
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

INSTANTIATE_TEST_SUITE_P(NeuSight, GridMappingOnPublicDataTest,
                         ::testing::Values("Tesla_T4.csv", "Tesla_V100-PCIE-32GB.csv", "NVIDIA_A100_80GB_PCIe.csv"));

// With the names hidden the two-mode model still explains where each tile came from: the grids.
TEST(GridMappingTest, TheExplanationSaysWhetherTheNameOrTheGridsGaveTheMapping) {
  const std::vector<Sample> samples = PublicSamples("Tesla_T4.csv");
  ASSERT_FALSE(samples.empty());
  const HardwareInfo t4{.compute_units = 40};
  const SampleSplit split = SplitSamples(samples, 0.5, 3);
  const ConvShape layer = split.test.front().shape;
  absl::StatusOr<std::unique_ptr<TwoModeModel>> named = TwoModeModel::Fit(split.train, t4);
  ASSERT_TRUE(named.ok()) << named.status();
  absl::StatusOr<std::unique_ptr<TwoModeModel>> hidden = TwoModeModel::Fit(WithKernelNamesHidden(split.train), t4);
  ASSERT_TRUE(hidden.ok()) << hidden.status();
  int from_name = 0, from_grids = 0;
  for (const Sample& s : split.test) {
    from_name += (*named)->Predict(s.shape).explanation.work_mapping_source() == "kernel_name";
    const v1::Explanation why = (*hidden)->Predict(s.shape).explanation;
    from_grids += why.work_mapping_source() == "launch_grids";
    EXPECT_NE(why.work_mapping_source(), "kernel_name") << why.kernel();
  }
  EXPECT_GT(from_name, 0.8 * split.test.size());
  EXPECT_GT(from_grids, 0.8 * split.test.size());
  EXPECT_FALSE((*hidden)->Predict(layer).explanation.kernel().starts_with("volta"));
}

TEST(GridMappingTest, ChoosesTheNameWhenTheGridsAgreeAndTheLatencyFitWithoutEither) {
  const std::vector<Sample> samples = PublicSamples("Tesla_V100-PCIE-32GB.csv");
  std::vector<Sample> implicit_gemm;
  for (const Sample& s : samples) {
    if (s.kernel == "cudnn_infer_volta_scudnn_128x64_relu_small_nn_v1") implicit_gemm.push_back(s);
  }
  ASSERT_GT(implicit_gemm.size(), 100u);
  const std::vector<const Sample*> members = Pointers(implicit_gemm);
  const KernelMapping named = ChooseKernelMapping(implicit_gemm.front().kernel, members);
  EXPECT_EQ(named.source, MappingSource::kKernelName);
  EXPECT_EQ(named.tile.m, 128);
  EXPECT_EQ(named.tile.n, 64);
  const KernelMapping unknown = ChooseKernelMapping("kernel-7", members);
  EXPECT_EQ(unknown.source, MappingSource::kLaunchGrids);
  EXPECT_EQ(unknown.tile.m, 128);
  EXPECT_EQ(unknown.tile.n, 64);
  // A name whose tile the grids contradict loses to the grids.
  const KernelMapping misnamed = ChooseKernelMapping("volta_scudnn_64x64_relu_small_nn_v1", members);
  EXPECT_EQ(misnamed.source, MappingSource::kLaunchGrids);
  EXPECT_EQ(misnamed.tile.m, 128);
  // No grids (a CPU, a GPU without CUPTI): the name if it gives a tile, else the latency fit.
  for (Sample& s : implicit_gemm) s.observed_ctas = 0, s.observed_grid = {};
  EXPECT_EQ(ChooseKernelMapping("volta_scudnn_64x64_relu_small_nn_v1", members).source, MappingSource::kKernelName);
  EXPECT_EQ(ChooseKernelMapping("x64:gemm:jit", members).source, MappingSource::kLatencyFit);
  EXPECT_EQ(MappingSourceName(MappingSource::kLaunchGrids), "launch_grids");
}

// A real V100 row (cudnn_infer_volta_scudnn_128x128_3dconv_fprop_small_nn_v1: n=40, c=1999,
// k=724, 5x5 output, grid 8 x 6 x 1): 128x128 and 64x256 tiles both give 48 CTAs; the axes tell
// them apart, and without axes the name's tile breaks the tie.
TEST(GridMappingTest, AxesAndThenTheNameBreakTiesBetweenTilesOfEqualCtaCounts) {
  Sample row{.shape = ResolveConvShape(*ParseConvSpec("n=40,c=1999,h=5,w=5,k=724,r=3,s=3,pad=1")),
             .latency_us = 500,
             .observed_ctas = 48,
             .observed_grid = {8, 6, 1}};
  ASSERT_EQ(CtasFor(row.shape, WorkMapping::kImplicitGemm, CtaTile{.m = 64, .n = 256}), 48);
  const std::vector<const Sample*> one{&row};
  std::optional<GridFit> fit = FitGridMapping(one, KernelInfo{});
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->axes_matched, 1);
  EXPECT_EQ(LaunchGrid(row.shape, fit->mapping, fit->tile).x, 8);
  EXPECT_EQ(LaunchGrid(row.shape, fit->mapping, fit->tile).y, 6);

  row.observed_grid = {};  // the CTA count alone
  const KernelInfo named_64x256 = ParseKernelName("volta_scudnn_64x256_relu_small_nn_v1");
  fit = FitGridMapping(one, named_64x256);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->tile.m, 64);
  EXPECT_EQ(fit->tile.n, 256);
}

// Synthetic grids of a split-K kernel (a 128x64 tile, the reduction cut in 4 along z): the
// inference finds the split, and the staircase's CTAs count it.
TEST(GridMappingTest, FindsSplitKFromSyntheticGrids) {
  std::vector<Sample> samples;
  for (int c : {256, 512, 1024}) {
    for (int k : {64, 200, 512}) {
      for (int hw : {7, 14, 28}) {
        Sample s{.shape = ResolveConvShape(*ParseConvSpec(
                     absl::StrCat("n=1,c=", c, ",h=", hw, ",w=", hw, ",k=", k, ",r=3,s=3,pad=1,stride=2"))),
                 .latency_us = 10};
        const GridDims grid = LaunchGrid(s.shape, WorkMapping::kImplicitGemm, CtaTile{.m = 128, .n = 64, .split_k = 4});
        s.observed_ctas = grid.ctas();
        s.observed_grid = {grid.x, grid.y, grid.z};
        samples.push_back(s);
      }
    }
  }
  const std::optional<GridFit> fit = FitGridMapping(Pointers(samples), KernelInfo{});
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->ctas_matched, static_cast<int>(samples.size()));
  EXPECT_EQ(fit->mapping, WorkMapping::kImplicitGemm);  // stride 2: no Winograd view applies
  EXPECT_EQ(fit->tile.m, 128);
  EXPECT_EQ(fit->tile.n, 64);
  EXPECT_EQ(fit->tile.split_k, 4);
}

TEST(GridMappingTest, HidingNamesKeepsOneNamePerKernel) {
  std::vector<Sample> samples(3);
  samples[0].kernel = "volta_sgemm_128x64_nn";
  samples[1].kernel = "cudnn_infer_volta_scudnn_128x32_relu_small_nn_v1";
  samples[2].kernel = "volta_sgemm_128x64_nn";
  const std::vector<Sample> hidden = WithKernelNamesHidden(samples);
  EXPECT_EQ(hidden[0].kernel, hidden[2].kernel);
  EXPECT_NE(hidden[0].kernel, hidden[1].kernel);
  EXPECT_EQ(ParseKernelName(hidden[0].kernel).family, KernelFamily::kUnknown);
  EXPECT_EQ(ParseKernelName(hidden[0].kernel).tile_m, 0);
}

}  // namespace
}  // namespace convlat::model
