#pragma once
// A small CART classification tree (Gini impurity, axis-aligned thresholds). convlat uses it to
// learn which kernel the library picks for a layer: the splits read as rules ("k <= 48 and
// h > 28 → 128x32 implicit GEMM"), which is the point; a black box would predict the same.

#include <span>
#include <string>
#include <vector>

namespace convlat::model {

struct DecisionTreeOptions {
  int max_depth = 10;
  // Leaves of at least 10 rows: kernel choice under autotuning is noisy near its boundaries, and
  // deeper, purer leaves only learn that noise (held-out accuracy drops on the public data).
  int min_samples_leaf = 10;
};

class DecisionTreeClassifier {
 public:
  // `features[i]` has the same length for every i; `labels[i]` is a class index in [0, classes).
  static DecisionTreeClassifier Fit(const std::vector<std::vector<double>>& features, const std::vector<int>& labels,
                                    int classes, const DecisionTreeOptions& options);

  int Predict(std::span<const double> features) const;
  // The class shares among the training rows of the leaf `features` falls in (sums to 1): which
  // labels are plausible for it, not only the most frequent one.
  const std::vector<double>& PredictShares(std::span<const double> features) const;
  // Both from one walk of the tree (a caller that wants both need not walk it twice).
  struct Leaf {
    int label;
    const std::vector<double>& shares;
  };
  Leaf PredictLeaf(std::span<const double> features) const;
  int node_count() const { return static_cast<int>(nodes_.size()); }
  int depth() const;

 private:
  struct Node {
    int feature = -1;      // -1: a leaf
    double threshold = 0;  // go left when features[feature] <= threshold
    int left = -1, right = -1;
    int label = 0;               // majority class (used at leaves)
    std::vector<double> shares;  // class shares of the node's rows (kept at leaves only)
  };
  int LeafOf(std::span<const double> features) const;
  std::vector<Node> nodes_;

  int Grow(const std::vector<std::vector<double>>& features, const std::vector<int>& labels, int classes,
           std::vector<int>& rows, int depth, const DecisionTreeOptions& options);
};

}  // namespace convlat::model
