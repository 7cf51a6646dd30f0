#include "model/fit/boosted_trees.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

// Synthetic data (a fitting unit test): a target that steps at x0 = 0.5 and rises with x1, plus a
// feature that carries nothing.
struct Synthetic {
  std::vector<double> rows, targets, weights;
};
Synthetic Steps(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  Synthetic data;
  for (int i = 0; i < n; ++i) {
    const double x0 = u(rng), x1 = u(rng), x2 = u(rng);
    data.rows.insert(data.rows.end(), {x0, x1, x2});
    data.targets.push_back((x0 > 0.5 ? 1.0 : 0.0) + 0.5 * x1);
    data.weights.push_back(1);
  }
  return data;
}

TEST(BoostedTreesTest, SyntheticStepAndSlopeAreLearnt) {
  const Synthetic train = Steps(2000, 1), test = Steps(200, 2);
  const BoostedTrees trees = BoostedTrees::Fit(train.rows, 3, train.targets, train.weights, {});
  EXPECT_EQ(trees.rounds(), BoostedTreesOptions{}.rounds);
  double error = 0;
  for (size_t i = 0; i < test.targets.size(); ++i) {
    error += std::abs(trees.Predict(std::span(test.rows).subspan(i * 3, 3)) - test.targets[i]);
  }
  EXPECT_LT(error / test.targets.size(), 0.05);
}

TEST(BoostedTreesTest, ZeroWeightRowsAreLeftOutAndTruncateKeepsThePrefix) {
  Synthetic train = Steps(500, 3);
  // Rows weighted 0 carry a wild target: were they used, the mean alone would move by ~100.
  for (size_t i = 0; i < train.targets.size(); i += 2) train.targets[i] = 1000, train.weights[i] = 0;
  BoostedTrees trees = BoostedTrees::Fit(train.rows, 3, train.targets, train.weights, {.rounds = 40});
  const std::vector<double> row = {0.9, 0.5, 0.1};
  EXPECT_NEAR(trees.Predict(row), 1.25, 0.15);
  const std::vector<double> outputs = trees.TreeOutputs(row);
  ASSERT_EQ(outputs.size(), 40u);
  double first_ten = trees.Predict(row);
  for (size_t t = 10; t < outputs.size(); ++t) first_ten -= outputs[t];
  const int nodes = trees.node_count();
  trees.Truncate(10);
  EXPECT_EQ(trees.rounds(), 10);
  EXPECT_LT(trees.node_count(), nodes);
  EXPECT_NEAR(trees.Predict(row), first_ten, 1e-12);
}

// Predict walks the flat layout, TreeOutputs the trees as grown: on every row, on the training
// rows (their values are the thresholds), and on NaN, the prediction is the base plus the trees'
// outputs added in order, to the last bit. Shallow trees are laid out flat; trees deeper than
// the layout takes keep the node walk, and must agree just the same.
TEST(BoostedTreesTest, PredictIsTheBasePlusEachTreeInOrderExactly) {
  const Synthetic train = Steps(3000, 4), test = Steps(300, 5);
  // Every depth the flat layout takes (odd and even: its walk goes two levels a step), the
  // correction's 100 trees of depth 5, and trees too deep for it.
  std::vector<BoostedTreesOptions> settings = {{.rounds = 100, .max_depth = 5},
                                               {.rounds = 5, .max_depth = 12, .min_samples_leaf = 1}};
  for (int depth = 0; depth <= 8; ++depth)
    settings.push_back({.rounds = 10, .max_depth = depth, .min_samples_leaf = 5});
  for (const BoostedTreesOptions& options : settings) {
    const BoostedTrees trees = BoostedTrees::Fit(train.rows, 3, train.targets, train.weights, options);
    ASSERT_EQ(trees.flat(), options.max_depth <= FlatTreeEnsemble::kMaxDepth) << "max_depth " << options.max_depth;
    BoostedTrees base_only = trees;
    base_only.Truncate(0);
    std::vector<std::vector<double>> rows = {{std::nan(""), 0.5, 0.5}, {0.5, std::nan(""), std::nan("")}};
    for (const Synthetic* data : {&train, &test}) {
      for (size_t i = 0; i < data->targets.size(); i += 3) {
        rows.emplace_back(data->rows.begin() + i * 3, data->rows.begin() + i * 3 + 3);
      }
    }
    for (const std::vector<double>& row : rows) {
      double expected = base_only.Predict(row);
      for (double output : trees.TreeOutputs(row)) expected += output;
      ASSERT_EQ(trees.Predict(row), expected)
          << "max_depth " << options.max_depth << ", row " << row[0] << ", " << row[1] << ", " << row[2];
    }
  }
}

}  // namespace
}  // namespace convlat::model
