// Unit tests of the robust fit. The rows here are synthetic (a known line, spikes put in by
// hand): this is a unit test of the fitting code, so the test knows the right answer.
#include "model/fit/robust_fit.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

TEST(TukeyWeightsTest, KeepsSmallResidualsAndDropsSpikes) {
  // Residuals of a few percent, and one ln 10 spike.
  const std::vector<double> residuals = {0.02, -0.03, 0.01, -0.01, 0.04, std::log(10.0)};
  const std::vector<double> prior(residuals.size(), 1.0);
  const std::vector<double> weights = TukeyWeights(residuals, prior);
  for (size_t i = 0; i + 1 < residuals.size(); ++i) EXPECT_GT(weights[i], 0.9) << i;
  EXPECT_EQ(weights.back(), 0);
}

TEST(TukeyWeightsTest, TheScaleFloorKeepsANearPerfectFitFromCallingEverythingAnOutlier) {
  // All residuals tiny but one at 10 %: the MAD alone would put the cutoff below 10 %.
  const std::vector<double> residuals = {1e-4, -1e-4, 2e-4, -2e-4, 0.1};
  const std::vector<double> weights = TukeyWeights(residuals, std::vector<double>(residuals.size(), 1.0));
  EXPECT_GT(weights.back(), 0.6);  // 0.1 against a cutoff of 4.685 x 0.05: (1 - 0.43²)² = 0.67
}

TEST(TukeyWeightsTest, RowsWithoutPriorWeightStayOutAndDoNotSetTheScale) {
  const std::vector<double> residuals = {0.01, -0.01, 0.02, 5.0};
  const std::vector<double> prior = {1, 1, 1, 0};
  const std::vector<double> weights = TukeyWeights(residuals, prior);
  EXPECT_EQ(weights[3], 0);
  EXPECT_GT(weights[0], 0.9);
}

// Synthetic: y = 5 + 0.1·x over x = 1..100, then 15 % of the rows 10x too slow.
struct Line {
  std::vector<double> rows, latencies, prior;
};
Line SpikyLine() {
  Line line;
  for (int x = 1; x <= 100; ++x) {
    line.rows.insert(line.rows.end(), {1.0, double(x)});
    const bool spike = x % 7 == 3 || x == 50;  // 15 rows
    line.latencies.push_back((5 + 0.1 * x) * (spike ? 10 : 1));
    line.prior.push_back(1);
  }
  return line;
}

TEST(RobustFitTest, SpikesDoNotDragTheFitAsTheyDragThePlainOne) {
  const Line line = SpikyLine();
  std::optional<RobustSolution> robust = SolveNonNegativeRobust(2, line.rows, line.latencies, line.prior);
  ASSERT_TRUE(robust.has_value());
  EXPECT_NEAR(robust->solution.coefficients[0], 5, 1e-6);
  EXPECT_NEAR(robust->solution.coefficients[1], 0.1, 1e-8);
  EXPECT_EQ(robust->outliers, 15);

  // The plain fit (no reweighting) on the same rows is pulled up. Relative error already caps what
  // one spike can pull (its residual stays near -0.9), so only by about 2 % on this line; the pull
  // grows as the group shrinks and the spikes cluster (the server's op groups).
  std::optional<RobustSolution> plain =
      SolveNonNegativeRobust(2, line.rows, line.latencies, line.prior, RobustFitOptions{.reweightings = 0});
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->outliers, 0);
  EXPECT_GT(plain->solution.coefficients[1], 0.1 * 1.01);
  EXPECT_GT(plain->solution.coefficients[0], 5 * 1.01);
}

TEST(RobustFitTest, CleanRowsGiveThePlainFit) {
  Line line = SpikyLine();
  for (size_t i = 0; i < line.latencies.size(); ++i) line.latencies[i] = 5 + 0.1 * double(i + 1);
  std::optional<RobustSolution> robust = SolveNonNegativeRobust(2, line.rows, line.latencies, line.prior);
  ASSERT_TRUE(robust.has_value());
  EXPECT_EQ(robust->outliers, 0);
  EXPECT_NEAR(robust->solution.coefficients[0], 5, 1e-9);
  EXPECT_NEAR(robust->solution.coefficients[1], 0.1, 1e-10);
}

TEST(RobustFitTest, PriorWeightsOfZeroLeaveRowsOut) {
  Line line = SpikyLine();
  for (size_t i = 0; i < line.latencies.size(); ++i) {
    if (line.latencies[i] > 5 + 0.1 * double(i + 1) + 1e-9) line.prior[i] = 0;  // the spikes, flagged
  }
  std::optional<RobustSolution> fit =
      SolveNonNegativeRobust(2, line.rows, line.latencies, line.prior, RobustFitOptions{.reweightings = 0});
  ASSERT_TRUE(fit.has_value());
  EXPECT_NEAR(fit->solution.coefficients[0], 5, 1e-6);
  EXPECT_EQ(fit->outliers, 0);  // left out by their prior, not by the loss
}

TEST(RobustFitTest, NoSolutionWithoutEnoughRows) {
  const std::vector<double> rows = {1, 2, 1, 3}, latencies = {0, -1}, prior = {1, 1};  // no usable latency
  EXPECT_FALSE(SolveNonNegativeRobust(2, rows, latencies, prior).has_value());
}

}  // namespace
}  // namespace convlat::model
