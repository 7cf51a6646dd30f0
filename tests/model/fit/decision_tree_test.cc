#include "model/fit/decision_tree.h"

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

// Synthetic labels from a two-threshold rule, as a library's kernel choice would be.
TEST(DecisionTreeTest, LearnsAThresholdRule) {
  std::vector<std::vector<double>> features;
  std::vector<int> labels;
  for (int a = 0; a < 20; ++a) {
    for (int b = 0; b < 20; ++b) {
      features.push_back({double(a), double(b)});
      labels.push_back(a < 7 ? 0 : (b < 12 ? 1 : 2));
    }
  }
  const DecisionTreeClassifier tree = DecisionTreeClassifier::Fit(features, labels, 3, {});
  for (size_t i = 0; i < features.size(); ++i) ASSERT_EQ(tree.Predict(features[i]), labels[i]);
  EXPECT_EQ(tree.depth(), 2);
  EXPECT_EQ(tree.node_count(), 5);
}

TEST(DecisionTreeTest, RespectsTheDepthLimitAndHandlesNoData) {
  std::vector<std::vector<double>> features;
  std::vector<int> labels;
  for (int i = 0; i < 64; ++i) features.push_back({double(i)}), labels.push_back(i % 2);
  EXPECT_LE(DecisionTreeClassifier::Fit(features, labels, 2, {.max_depth = 3}).depth(), 3);
  EXPECT_EQ(DecisionTreeClassifier::Fit({}, {}, 2, {}).Predict(std::vector<double>{1.0}), 0);
}

// Synthetic: where two labels alternate faster than a leaf can resolve (even x from 10 on is
// label 1), the leaf says how mixed it is.
TEST(DecisionTreeTest, LeavesKnowTheShareOfEachLabel) {
  std::vector<std::vector<double>> features;
  std::vector<int> labels;
  for (int i = 0; i < 80; ++i) {
    const int x = i % 20;
    features.push_back({double(x)});
    labels.push_back(x >= 10 && x % 2 == 0 ? 1 : 0);
  }
  const DecisionTreeClassifier tree = DecisionTreeClassifier::Fit(features, labels, 2, {.min_samples_leaf = 10});
  const std::vector<double>& mixed = tree.PredictShares(std::vector<double>{15.0});
  ASSERT_EQ(mixed.size(), 2u);
  EXPECT_NEAR(mixed[0] + mixed[1], 1.0, 1e-12);
  EXPECT_GT(mixed[1], 0.2);
  EXPECT_EQ(tree.PredictShares(std::vector<double>{3.0})[1], 0.0);
  // One walk gives both: the same label and the same shares as the two calls.
  for (double x : {3.0, 15.0}) {
    const std::vector<double> row = {x};
    const DecisionTreeClassifier::Leaf leaf = tree.PredictLeaf(row);
    EXPECT_EQ(leaf.label, tree.Predict(row));
    EXPECT_EQ(&leaf.shares, &tree.PredictShares(row));
  }
}

}  // namespace
}  // namespace convlat::model
