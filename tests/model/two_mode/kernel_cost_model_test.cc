#include "model/two_mode/kernel_cost_model.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "model/layers/conv_spec.h"
#include "model/layers/features.h"
#include "model/two_mode/internal/byte_term_bounds.h"

namespace convlat::model {
namespace {

// Synthetic staircase (a unit test of the fitting code, not data): a kernel with a 64x32 tile,
// 40 SMs x 2 CTAs, 4 µs fixed cost and 0.01 µs per wave step, swept over output channels.
std::vector<Sample> SyntheticStaircase() {
  std::vector<Sample> samples;
  for (int n : {1, 3, 16}) {
    for (int h : {7, 13, 28, 56}) {
      for (int k = 8; k <= 512; k += 8) {
        Sample s;
        s.shape = ResolveConvShape(
            *ParseConvSpec(absl::StrCat("n=", n, ",c=64,h=", h, ",w=", h, ",k=", k, ",r=3,s=3,pad=1")));
        const int64_t waves = Waves(ImplicitGemmCtas(s.shape, 64, 32), 80);
        s.latency_us = 4 + 0.01 * waves * ComputeFeatures(s.shape).gemm_k;
        samples.push_back(s);
      }
    }
  }
  return samples;
}

std::vector<const Sample*> Pointers(const std::vector<Sample>& samples) {
  std::vector<const Sample*> pointers;
  for (const Sample& s : samples) pointers.push_back(&s);
  return pointers;
}

TEST(KernelCostModelTest, InfersTileAndConcurrencyFromTheStaircase) {
  const std::vector<Sample> samples = SyntheticStaircase();
  const auto model = KernelCostModel::Fit(Pointers(samples), {.compute_units = 40});
  ASSERT_TRUE(model.has_value());
  EXPECT_EQ(model->decomposition().mapping, WorkMapping::kImplicitGemm);
  EXPECT_EQ(model->decomposition().tile.m, 64);
  EXPECT_EQ(model->decomposition().tile.n, 32);
  EXPECT_EQ(model->decomposition().slots, 80);
  EXPECT_LT(model->fit_rmspe(), 1e-4);
  const KernelCostModel::Breakdown b = model->Evaluate(samples[10].shape);
  EXPECT_NEAR(b.total_us(), samples[10].latency_us, 1e-6 * samples[10].latency_us);
  EXPECT_GT(b.compute_us, b.fixed_us);
}

TEST(KernelCostModelTest, KeepsTheTileTheKernelNameGivesAndMatchesObservedGrids) {
  std::vector<Sample> samples = SyntheticStaircase();
  for (Sample& s : samples) s.observed_ctas = ImplicitGemmCtas(s.shape, 64, 32);
  const auto model = KernelCostModel::Fit(Pointers(samples), {.tile = {.m = 64, .n = 32}, .compute_units = 40});
  ASSERT_TRUE(model.has_value());
  EXPECT_EQ(model->grid_match_rate(), 1.0);
  EXPECT_EQ(model->decomposition().slots, 80);
}

TEST(KernelCostModelTest, TooFewSamplesDoNotFit) {
  const std::vector<Sample> samples = SyntheticStaircase();
  EXPECT_FALSE(KernelCostModel::Fit(std::vector<const Sample*>{&samples[0], &samples[1]}, {}).has_value());
}

}  // namespace
}  // namespace convlat::model

namespace convlat::model::internal {
namespace {

// 100 GB/s peak: a byte term may cost at most 1 / (1 % × 100 GB/s) = 1e-3 µs per byte (1 GB/s).
TEST(ByteTermBoundsTest, ATermPricedBelowAHundredthOfThePeakIsImplausible) {
  std::vector<double> coefficients(KernelCostModel::kTerms, 0);
  coefficients[KernelCostModel::kFixed] = 50;                       // not a byte term: never checked
  coefficients[KernelCostModel::kInputBytes] = 1e-5;                // 100 GB/s
  coefficients[KernelCostModel::kFilterBytes] = 2e-3;               // 0.5 GB/s
  coefficients[KernelCostModel::kTransformedOutputBytes] = 0.9e-3;  // 1.1 GB/s: inside the floor
  EXPECT_EQ(ImplausibleByteTerms(coefficients, 100), std::vector<int>{KernelCostModel::kFilterBytes});
  EXPECT_TRUE(ImplausibleByteTerms(coefficients, 0).empty()) << "an unknown bandwidth bounds nothing";
}

TEST(ByteTermBoundsTest, DropColumnZeroesOneTermOfEveryRow) {
  std::vector<double> rows(3 * KernelCostModel::kTerms, 1);
  DropColumn(rows, KernelCostModel::kOutputBytes);
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i], i % KernelCostModel::kTerms == KernelCostModel::kOutputBytes ? 0 : 1) << i;
  }
}

}  // namespace
}  // namespace convlat::model::internal
