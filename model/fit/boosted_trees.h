#pragma once
// Small gradient-boosted regression trees: squared loss, histogram splits (each feature cut at up to
// `bins` - 1 quantiles of its training values), depth-limited. convlat uses them for the residual
// correction on top of the two-mode staircases (two_mode/residual_correction.h): few shallow trees,
// so a prediction is a few hundred comparisons, and the correction reads as one multiplier.

#include <span>
#include <vector>

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

  double Predict(std::span<const double> row) const;
  // What each tree adds on `row`, in order (for choosing how many to keep).
  std::vector<double> TreeOutputs(std::span<const double> row) const;
  // Keeps the first `rounds` trees.
  void Truncate(int rounds);
  int rounds() const { return static_cast<int>(roots_.size()); }
  int node_count() const { return static_cast<int>(nodes_.size()); }

 private:
  struct Node {
    int feature = -1;  // -1: a leaf
    double threshold = 0;
    int left = -1, right = -1;
    double value = 0;  // leaves: what the tree adds
  };
  double TreeOutput(int root, std::span<const double> row) const;

  int width_ = 0;
  double base_ = 0;  // the weighted mean target
  std::vector<Node> nodes_;
  std::vector<int> roots_;
};

}  // namespace convlat::model
