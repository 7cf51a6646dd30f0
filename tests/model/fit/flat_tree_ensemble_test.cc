// The flat layout walks hand-built trees as the node walk does: a leaf above the full depth is
// reached whichever way the padding goes, a value on the threshold goes left, a NaN goes right.
#include "model/fit/flat_tree_ensemble.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace convlat::model {
namespace {

// Tree 0: x0 <= 1 → 10, else (x1 <= 5 → 20, else 30). Tree 1: a single leaf, 0.5.
std::vector<TreeNode> Nodes() {
  return {{.feature = 0, .threshold = 1, .left = 1, .right = 2},
          {.value = 10},
          {.feature = 1, .threshold = 5, .left = 3, .right = 4},
          {.value = 20},
          {.value = 30},
          {.value = 0.5}};
}

TEST(FlatTreeEnsembleTest, WalksEveryTreeToItsLeafWhateverItsDepth) {
  const std::vector<TreeNode> nodes = Nodes();
  const std::vector<int> roots = {0, 5};
  const std::optional<FlatTreeEnsemble> flat = FlatTreeEnsemble::Build(nodes, roots);
  ASSERT_TRUE(flat.has_value());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    std::vector<double> row;
    double sum;
  };
  for (const Case& c : {Case{{0, 100}, 100 + 10 + 0.5},  // the shallow leaf, the padding's x1 either side
                        Case{{0, -100}, 100 + 10 + 0.5}, Case{{1, 0}, 100 + 10 + 0.5},  // on the threshold: left
                        Case{{2, 5}, 100 + 20 + 0.5}, Case{{2, 6}, 100 + 30 + 0.5},
                        Case{{nan, 0}, 100 + 20 + 0.5},  // NaN: right, as `x <= t ? left : right`
                        Case{{2, nan}, 100 + 30 + 0.5}}) {
    EXPECT_EQ(flat->Sum(100, c.row), c.sum) << c.row[0] << ", " << c.row[1];
  }
  EXPECT_EQ(FlatTreeEnsemble::Build(nodes, std::vector<int>{})->Sum(7, std::vector<double>{0, 0}), 7);
}

// The walk compares keys: for every pair of values, x <= t exactly when RowKey(x) <= ThresholdKey(t),
// zeros of either sign, infinities, subnormals and NaN (always right) included.
TEST(FlatTreeEnsembleTest, KeysOrderAsTheDoublesCompare) {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const double tiny = std::numeric_limits<double>::denorm_min(), big = std::numeric_limits<double>::max();
  const std::vector<double> values = {-inf, -big, -1.5, -1.0, -tiny, -0.0, 0.0, tiny, 1e-300, 1.0, 1.5, big, inf, nan};
  for (double x : values) {
    for (double t : values) {
      EXPECT_EQ(x <= t, FlatTreeEnsemble::RowKey(x) <= FlatTreeEnsemble::ThresholdKey(t)) << x << " <= " << t;
    }
  }
}

TEST(FlatTreeEnsembleTest, RefusesTreesDeeperThanItsLimit) {
  // A chain of splits one deeper than the limit, each sending x0 <= 0 to a leaf.
  std::vector<TreeNode> nodes;
  for (int depth = 0; depth <= FlatTreeEnsemble::kMaxDepth; ++depth) {
    const int index = static_cast<int>(nodes.size());
    nodes.push_back({.feature = 0, .threshold = 0, .left = index + 1, .right = index + 2});
    nodes.push_back({.value = 1});
  }
  nodes.push_back({.value = 2});
  EXPECT_FALSE(FlatTreeEnsemble::Build(nodes, std::vector<int>{0}).has_value());
  // Or that split on a feature past the keys it makes of a row.
  const std::vector<TreeNode> wide = {{.feature = FlatTreeEnsemble::kMaxFeatures, .left = 1, .right = 2}, {}, {}};
  EXPECT_FALSE(FlatTreeEnsemble::Build(wide, std::vector<int>{0}).has_value());
}

}  // namespace
}  // namespace convlat::model
