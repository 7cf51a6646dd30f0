#pragma once
// The serving layout of an ensemble of shallow regression trees (boosted_trees.h): every tree
// completed to the ensemble's depth and stored breadth-first, all trees in one contiguous array.
//
// Why: a tree walked node by node (`x <= threshold ? left : right` until a leaf) branches on the
// data at every level, and a good split sends about half the rows each way, so the CPU mispredicts
// about every other step, and once more per tree where it stops, since leaves sit at different
// depths. With every tree completed, a walk is exactly `depth` steps of i = 2i + 1 + (x > t): no
// branch depends on the row, and the walks of successive trees overlap in the CPU. That took the
// residual correction's 100 trees of depth 5 from most of a prediction's time to a small part of it
// (docs/performance.md).
//
// A leaf above the full depth is pushed down: its value fills every leaf slot below it and the
// padding splits compare anything with anything, so whichever way they go, the walk ends on that
// value. Trees are summed in their order, as the node walk does: the same doubles, not just close.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace convlat::model {

// A node as trees are grown: children by index into the same array.
struct TreeNode {
  int feature = -1;  // -1: a leaf
  double threshold = 0;
  int left = -1, right = -1;
  double value = 0;  // leaves: what the tree adds
};

class FlatTreeEnsemble {
 public:
  // Deeper trees than this keep their node walk: a completed tree has 2^depth leaves.
  static constexpr int kMaxDepth = 8;

  // The trees rooted at `roots` (in that order) in `nodes`; nullopt when one is deeper than kMaxDepth.
  static std::optional<FlatTreeEnsemble> Build(std::span<const TreeNode> nodes, std::span<const int> roots);

  // `start` plus what each tree adds on `row`, added in tree order.
  double Sum(double start, std::span<const double> row) const;

 private:
  struct Split {
    double threshold = 0;
    int32_t feature = 0;
  };
  int depth_ = 0;
  size_t trees_ = 0;
  std::vector<Split> splits_;   // per tree 2^depth - 1, breadth-first: the children of i are 2i + 1, 2i + 2
  std::vector<double> leaves_;  // per tree 2^depth, left to right
};

}  // namespace convlat::model
