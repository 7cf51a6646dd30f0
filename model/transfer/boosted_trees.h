#pragma once
// Gradient-boosted regression trees (squared loss, CART splits on variance reduction, each feature
// cut into at most 64 quantile bins once, so a split is a histogram scan, not a sort): the
// transfer model's learner. Small and dependency-free like model/fit/decision_tree.h; it lives
// here because only the transfer model regresses a continuous target across platforms.

#include <cstdint>
#include <span>
#include <vector>

namespace convlat::model {

struct BoostedTreesOptions {
  int trees = 40;
  double learning_rate = 0.2;
  int max_depth = 5;
  // Leaves of at least this many rows: the target mixes several GPUs, and a leaf of a handful of
  // one GPU's layers learns that GPU rather than a rule that transfers.
  int min_samples_leaf = 40;
};

class BoostedTrees {
 public:
  // `features[i]` has the same length for every i. An empty fit predicts 0.
  static BoostedTrees Fit(const std::vector<std::vector<double>>& features, const std::vector<double>& targets,
                          const BoostedTreesOptions& options);

  double Predict(std::span<const double> features) const;
  int tree_count() const { return static_cast<int>(roots_.size()); }
  int node_count() const { return static_cast<int>(nodes_.size()); }

 private:
  struct Node {
    int feature = -1;      // -1: a leaf
    double threshold = 0;  // go left when features[feature] <= threshold
    int left = -1, right = -1;
    double value = 0;  // leaf output, learning rate applied
  };
  // Row-major bin indices (rows x features) and each feature's bin upper edges.
  struct Binned {
    std::vector<uint8_t> bins;
    int features = 0;
    std::vector<std::vector<double>> edges;
  };
  int Grow(const Binned& binned, const std::vector<double>& residuals, std::vector<int>& rows, int depth,
           const BoostedTreesOptions& options);
  double PredictTree(int root, std::span<const double> features) const;

  double base_ = 0;
  std::vector<int> roots_;
  std::vector<Node> nodes_;
};

}  // namespace convlat::model
