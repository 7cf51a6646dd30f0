#include "model/fit/flat_tree_ensemble.h"

#include <algorithm>
#include <utility>

namespace convlat::model {
namespace {

int DepthOf(std::span<const TreeNode> nodes, int root) {
  int deepest = 0;
  std::vector<std::pair<int, int>> stack = {{root, 0}};  // (node, its depth)
  while (!stack.empty()) {
    const auto [node, depth] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, depth);
    if (nodes[node].feature >= 0) {
      stack.push_back({nodes[node].left, depth + 1});
      stack.push_back({nodes[node].right, depth + 1});
    }
  }
  return deepest;
}

}  // namespace

std::optional<FlatTreeEnsemble> FlatTreeEnsemble::Build(std::span<const TreeNode> nodes, std::span<const int> roots) {
  FlatTreeEnsemble flat;
  for (int root : roots) flat.depth_ = std::max(flat.depth_, DepthOf(nodes, root));
  if (flat.depth_ > kMaxDepth) return std::nullopt;
  flat.trees_ = roots.size();
  const size_t internal = (size_t{1} << flat.depth_) - 1;
  flat.splits_.resize(flat.trees_ * internal);
  flat.leaves_.resize(flat.trees_ * (internal + 1));
  for (size_t t = 0; t < flat.trees_; ++t) {
    Split* splits = &flat.splits_[t * internal];
    double* leaves = &flat.leaves_[t * (internal + 1)];
    // `node` goes to breadth-first slot `slot`; a leaf above the last level is copied into both
    // children of a padding split (feature 0 against 0: either way ends on the same value).
    auto place = [&](auto& self, int node, size_t slot, int level) -> void {
      const TreeNode& n = nodes[node];
      if (level == flat.depth_) {
        leaves[slot - internal] = n.value;
        return;
      }
      const bool leaf = n.feature < 0;
      splits[slot] = leaf ? Split{} : Split{.threshold = n.threshold, .feature = n.feature};
      self(self, leaf ? node : n.left, 2 * slot + 1, level + 1);
      self(self, leaf ? node : n.right, 2 * slot + 2, level + 1);
    };
    place(place, roots[t], 0, 0);
  }
  return flat;
}

double FlatTreeEnsemble::Sum(double start, std::span<const double> row) const {
  const size_t internal = (size_t{1} << depth_) - 1;
  const Split* splits = splits_.data();
  const double* leaves = leaves_.data();
  double sum = start;
  for (size_t t = 0; t < trees_; ++t, splits += internal, leaves += internal + 1) {
    size_t i = 0;
    // !(x <= t) rather than x > t: a NaN goes right, as in the node walk.
    for (int level = 0; level < depth_; ++level) {
      i = 2 * i + 1 + static_cast<size_t>(!(row[splits[i].feature] <= splits[i].threshold));
    }
    sum += leaves[i - internal];
  }
  return sum;
}

}  // namespace convlat::model
