#include "model/fit/flat_tree_ensemble.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

namespace convlat::model {
namespace {

constexpr uint64_t kSignBit = uint64_t{1} << 63;
static_assert(FlatTreeEnsemble::kMaxFeatures <= 256, "feature indices are stored as bytes");

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

// IEEE 754 doubles order as sign-magnitude integers: flipping every bit of a negative one and the
// sign bit of a positive one makes them order as unsigned integers. -0 is taken as +0 first.
uint64_t OrderedBits(double value) {
  const uint64_t bits = std::bit_cast<uint64_t>(value == 0 ? 0.0 : value);
  return (bits & kSignBit) ? ~bits : bits | kSignBit;
}

}  // namespace

uint64_t FlatTreeEnsemble::RowKey(double value) { return std::isnan(value) ? UINT64_MAX : OrderedBits(value); }

uint64_t FlatTreeEnsemble::ThresholdKey(double threshold) { return std::isnan(threshold) ? 0 : OrderedBits(threshold); }

std::optional<FlatTreeEnsemble> FlatTreeEnsemble::Build(std::span<const TreeNode> nodes, std::span<const int> roots) {
  FlatTreeEnsemble flat;
  for (int root : roots) flat.depth_ = std::max(flat.depth_, DepthOf(nodes, root));
  if (flat.depth_ > kMaxDepth) return std::nullopt;
  flat.trees_ = roots.size();
  const size_t internal = (size_t{1} << flat.depth_) - 1;
  flat.thresholds_.resize(flat.trees_ * internal);
  flat.features_.resize(flat.trees_ * internal);
  flat.leaves_.resize(flat.trees_ * (internal + 1));
  for (size_t t = 0; t < flat.trees_; ++t) {
    uint64_t* thresholds = &flat.thresholds_[t * internal];
    uint8_t* features = &flat.features_[t * internal];
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
      thresholds[slot] = leaf ? 0 : ThresholdKey(n.threshold);
      const int feature = leaf ? 0 : n.feature;
      flat.features_used_ = std::max(flat.features_used_, feature + 1);
      features[slot] = static_cast<uint8_t>(feature);  // checked against kMaxFeatures below
      self(self, leaf ? node : n.left, 2 * slot + 1, level + 1);
      self(self, leaf ? node : n.right, 2 * slot + 2, level + 1);
    };
    place(place, roots[t], 0, 0);
  }
  if (flat.features_used_ > kMaxFeatures) return std::nullopt;
  return flat;
}

double FlatTreeEnsemble::Sum(double start, std::span<const double> row) const {
  uint64_t keys[kMaxFeatures];
  for (int f = 0; f < features_used_; ++f) keys[f] = RowKey(row[f]);
  switch (depth_) {
    case 0: return SumAtDepth<0>(start, keys);
    case 1: return SumAtDepth<1>(start, keys);
    case 2: return SumAtDepth<2>(start, keys);
    case 3: return SumAtDepth<3>(start, keys);
    case 4: return SumAtDepth<4>(start, keys);
    case 5: return SumAtDepth<5>(start, keys);
    case 6: return SumAtDepth<6>(start, keys);
    case 7: return SumAtDepth<7>(start, keys);
    default: return SumAtDepth<8>(start, keys);
  }
}

// The depth a constant, so the steps of a walk are known at compile time.
template <int kDepth>
double FlatTreeEnsemble::SumAtDepth(double sum, const uint64_t* row) const {
  constexpr size_t kInternal = (size_t{1} << kDepth) - 1;
  const uint64_t* thresholds = thresholds_.data();
  const uint8_t* features = features_.data();
  const double* leaves = leaves_.data();
  for (size_t t = 0; t < trees_; ++t, thresholds += kInternal, features += kInternal, leaves += kInternal + 1) {
    // One level a step, i = 2i + 1 + (went right): nothing here branches on the row, so the CPU
    // runs the walks of many trees at once instead of throwing them away at every mispredicted
    // branch. Unrolled (kDepth is a constant), a level is five instructions: load the feature
    // index, load the row's key, compare it with the threshold in memory, i = 2i + 1 + carry.
    size_t i = 0;
#pragma GCC unroll 8
    for (int level = 0; level < kDepth; ++level) {
      i = 2 * i + 1 + static_cast<size_t>(row[features[i]] > thresholds[i]);
    }
    sum += leaves[i - kInternal];
  }
  return sum;
}

}  // namespace convlat::model
