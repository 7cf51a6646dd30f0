#pragma once
// Small gradient-boosted regression trees: squared loss, histogram splits (each feature cut at up to
// `bins` - 1 quantiles of its training values), depth-limited. convlat uses them for the residual
// correction on top of the two-mode staircases (two_mode/residual_correction.h): few shallow trees,
// so a prediction is a few hundred comparisons, and the correction reads as one multiplier.

#include <optional>
#include <span>
#include <vector>

#include "model/fit/flat_tree_ensemble.h"

namespace convlat::model {

struct BoostedTreesOptions {
  int rounds = 120;
  int max_depth = 4;
  double learning_rate = 0.1;
  int min_samples_leaf = 20;
  int bins = 32;
  double l2 = 1.0;  // shrinks each leaf's value towards 0 as if it had this much more weight
  // Residuals beyond ±huber_delta count as ±huber_delta when trees are grown (Huber's loss): a few
  // far-off rows do not pull a leaf. 0: squared loss throughout.
  double huber_delta = 0;
};

class BoostedTrees {
 public:
  // `rows` is row-major with `width` values per row; `targets` and `weights` one per row (a weight
  // that is not positive leaves the row out).
  static BoostedTrees Fit(std::span<const double> rows, int width, std::span<const double> targets,
                          std::span<const double> weights, const BoostedTreesOptions& options);

  // The base plus every tree's output, walked in the flat layout (flat_tree_ensemble.h).
  double Predict(std::span<const double> row) const;
  // What each tree adds on `row`, in order (for choosing how many to keep), walked node by node:
  // Predict is the base plus these, added in order, to the last bit.
  std::vector<double> TreeOutputs(std::span<const double> row) const;
  // Keeps the first `rounds` trees.
  void Truncate(int rounds);
  int rounds() const { return static_cast<int>(roots_.size()); }
  int node_count() const { return static_cast<int>(nodes_.size()); }
  // Whether Predict walks the flat layout (false: a tree is deeper than it takes).
  bool flat() const { return flat_.has_value(); }

 private:
  double TreeOutput(int root, std::span<const double> row) const;

  int width_ = 0;
  double base_ = 0;              // the weighted mean target
  std::vector<TreeNode> nodes_;  // as grown: what Truncate cuts and TreeOutputs walks
  std::vector<int> roots_;
  // The same trees laid out for prediction, rebuilt after every change to nodes_; none when a
  // tree is deeper than the layout takes (Predict then walks nodes_).
  std::optional<FlatTreeEnsemble> flat_;
};

}  // namespace convlat::model
