#pragma once
// The serving layout of an ensemble of shallow regression trees (boosted_trees.h): every tree
// completed to the ensemble's depth and stored breadth-first, all trees in one contiguous array,
// thresholds as integer keys.
//
// Why: a tree walked node by node (`x <= threshold ? left : right` until a leaf) branches on the
// data at every level, and a good split sends about half the rows each way, so the CPU mispredicts
// about every other step, and once more per tree where it stops, since leaves sit at different
// depths; each mispredicted branch also throws away the work on the trees after it. With every tree
// completed, a walk is exactly `depth` levels of i = 2i + 1 + (x > t), compiled to a compare and an
// add with carry: no branch depends on the row, so the walks of successive trees overlap in the CPU.
// The row and the thresholds are compared as order-preserving 64-bit integers (a floating-point
// compare crosses to the integer unit on every level). An earlier layout took two levels a step (a
// node's split and both of its children's at once, to halve each walk's chain of loads), but the
// compiler turned its choice between the children into a branch on the data again: about 30
// mispredictions a prediction in callgrind's simulation, against 3 now. docs/performance.md has the
// figures.
//
// A leaf above the full depth is pushed down: its value fills every leaf slot below it and the
// padding splits compare anything with anything, so whichever way they go, the walk ends on that
// value. x <= t exactly when Key(x) <= Key(t), NaN going right as in the node walk, and trees are
// summed in their order: the same doubles, not just close.

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
  // Rows are turned into keys on the stack: splits on features past this keep the node walk.
  static constexpr int kMaxFeatures = 64;

  // The trees rooted at `roots` (in that order) in `nodes`; nullopt when one is deeper than
  // kMaxDepth or splits on a feature index >= kMaxFeatures.
  static std::optional<FlatTreeEnsemble> Build(std::span<const TreeNode> nodes, std::span<const int> roots);

  // `start` plus what each tree adds on `row`, added in tree order. `row` holds every feature the
  // trees split on.
  double Sum(double start, std::span<const double> row) const;

  // The order-preserving key of a value: for doubles a and b, a <= b exactly when Key(a) <= Key(b)
  // (-0 and +0 share a key). A NaN row value gets the largest key and a NaN threshold the smallest,
  // so a NaN goes right, as !(x <= t) sends it.
  static uint64_t RowKey(double value);
  static uint64_t ThresholdKey(double threshold);

 private:
  template <int kDepth>
  double SumAtDepth(double sum, const uint64_t* row) const;

  int depth_ = 0;
  int features_used_ = 0;  // 1 + the largest feature index a split reads
  size_t trees_ = 0;
  // Per tree 2^depth - 1 splits, breadth-first (the children of i are 2i + 1 and 2i + 2): go to
  // 2i + 1 when RowKey(row[features[i]]) <= thresholds[i]. Two arrays rather than one of pairs:
  // each loads with a scaled index, with no address arithmetic in the walk. Feature indices are
  // bytes (kMaxFeatures fits one): the ensemble (57 trees of depth 5 on the T4 at the learning rate of 0.15) was then
  // 30 KiB rather than 35, nearer to what a core's 32 KiB L1 keeps between predictions.
  std::vector<uint64_t> thresholds_;
  std::vector<uint8_t> features_;
  std::vector<double> leaves_;  // per tree 2^depth, left to right
};

}  // namespace convlat::model
