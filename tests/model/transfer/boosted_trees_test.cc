// The transfer model's learner: boosted regression trees fit what a single line cannot.
#include "model/transfer/boosted_trees.h"

#include <cmath>

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

TEST(BoostedTreesTest, LearnsAStepAndASlopeOnSyntheticData) {
  std::vector<std::vector<double>> features;
  std::vector<double> targets;
  for (int i = 0; i < 400; ++i) {
    const double x = i / 40.0, z = (i % 7) / 7.0;
    features.push_back({x, z});
    targets.push_back((x > 5 ? 3.0 : 0.0) + 0.5 * z);
  }
  const BoostedTrees model =
      BoostedTrees::Fit(features, targets, {.trees = 60, .learning_rate = 0.3, .max_depth = 4, .min_samples_leaf = 5});
  EXPECT_NEAR(model.Predict(std::vector<double>{2.0, 0.0}), 0.0, 0.15);
  EXPECT_NEAR(model.Predict(std::vector<double>{8.0, 0.0}), 3.0, 0.15);
  EXPECT_NEAR(model.Predict(std::vector<double>{8.0, 6.0 / 7}), 3.0 + 0.5 * 6 / 7, 0.15);
  EXPECT_EQ(model.tree_count(), 60);
}

TEST(BoostedTreesTest, NoRowsPredictZero) {
  const BoostedTrees model = BoostedTrees::Fit({}, {}, {});
  EXPECT_EQ(model.Predict(std::vector<double>{1.0}), 0.0);
}

}  // namespace
}  // namespace convlat::model
