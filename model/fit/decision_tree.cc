#include "model/fit/decision_tree.h"

#include <algorithm>
#include <numeric>

namespace convlat::model {
namespace {

double Gini(const std::vector<int>& counts, int total) {
  if (total == 0) return 0;
  double sum = 0;
  for (int count : counts) sum += static_cast<double>(count) * count;
  return 1.0 - sum / (static_cast<double>(total) * total);
}

}  // namespace

DecisionTreeClassifier DecisionTreeClassifier::Fit(const std::vector<std::vector<double>>& features,
                                                   const std::vector<int>& labels, int classes,
                                                   const DecisionTreeOptions& options) {
  DecisionTreeClassifier tree;
  std::vector<int> rows(features.size());
  std::iota(rows.begin(), rows.end(), 0);
  if (rows.empty()) {
    tree.nodes_.push_back(Node{.shares = std::vector<double>(std::max(classes, 1), 0.0)});
    tree.nodes_[0].shares[0] = 1;
    return tree;
  }
  tree.Grow(features, labels, classes, rows, 0, options);
  return tree;
}

int DecisionTreeClassifier::Grow(const std::vector<std::vector<double>>& features, const std::vector<int>& labels,
                                 int classes, std::vector<int>& rows, int depth, const DecisionTreeOptions& options) {
  const int index = static_cast<int>(nodes_.size());
  nodes_.push_back(Node{});
  std::vector<int> counts(classes, 0);
  for (int row : rows) ++counts[labels[row]];
  nodes_[index].label = static_cast<int>(std::max_element(counts.begin(), counts.end()) - counts.begin());
  const int total = static_cast<int>(rows.size());
  auto make_leaf = [&] {
    nodes_[index].shares.resize(classes);
    for (int c = 0; c < classes; ++c) nodes_[index].shares[c] = static_cast<double>(counts[c]) / total;
    return index;
  };
  if (depth >= options.max_depth || counts[nodes_[index].label] == total || total < 2 * options.min_samples_leaf) {
    return make_leaf();
  }

  // Best split over every feature: sort the rows by it and sweep the threshold.
  const double parent_impurity = Gini(counts, total);
  double best_gain = 1e-9;
  int best_feature = -1;
  double best_threshold = 0;
  const int feature_count = static_cast<int>(features[rows[0]].size());
  std::vector<int> sorted = rows;
  std::vector<int> left_counts(classes), right_counts(classes);
  for (int f = 0; f < feature_count; ++f) {
    std::sort(sorted.begin(), sorted.end(), [&](int a, int b) { return features[a][f] < features[b][f]; });
    std::fill(left_counts.begin(), left_counts.end(), 0);
    right_counts = counts;
    for (int i = 0; i + 1 < total; ++i) {
      const int label = labels[sorted[i]];
      ++left_counts[label];
      --right_counts[label];
      const double here = features[sorted[i]][f], next = features[sorted[i + 1]][f];
      const int left_total = i + 1, right_total = total - left_total;
      if (here == next || left_total < options.min_samples_leaf || right_total < options.min_samples_leaf) continue;
      const double impurity =
          (left_total * Gini(left_counts, left_total) + right_total * Gini(right_counts, right_total)) / total;
      const double gain = parent_impurity - impurity;
      if (gain > best_gain) {
        best_gain = gain;
        best_feature = f;
        best_threshold = 0.5 * (here + next);
      }
    }
  }
  if (best_feature < 0) return make_leaf();

  std::vector<int> left_rows, right_rows;
  for (int row : rows) (features[row][best_feature] <= best_threshold ? left_rows : right_rows).push_back(row);
  nodes_[index].feature = best_feature;
  nodes_[index].threshold = best_threshold;
  const int left = Grow(features, labels, classes, left_rows, depth + 1, options);
  const int right = Grow(features, labels, classes, right_rows, depth + 1, options);
  nodes_[index].left = left;
  nodes_[index].right = right;
  return index;
}

int DecisionTreeClassifier::LeafOf(std::span<const double> features) const {
  int node = 0;
  while (nodes_[node].feature >= 0) {
    node = features[nodes_[node].feature] <= nodes_[node].threshold ? nodes_[node].left : nodes_[node].right;
  }
  return node;
}

int DecisionTreeClassifier::Predict(std::span<const double> features) const { return nodes_[LeafOf(features)].label; }

const std::vector<double>& DecisionTreeClassifier::PredictShares(std::span<const double> features) const {
  return nodes_[LeafOf(features)].shares;
}

DecisionTreeClassifier::Leaf DecisionTreeClassifier::PredictLeaf(std::span<const double> features) const {
  const Node& leaf = nodes_[LeafOf(features)];
  return {leaf.label, leaf.shares};
}

int DecisionTreeClassifier::depth() const {
  // Iterative: nodes are stored parent before children.
  std::vector<int> node_depth(nodes_.size(), 0);
  int deepest = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    deepest = std::max(deepest, node_depth[i]);
    if (nodes_[i].feature >= 0) {
      node_depth[nodes_[i].left] = node_depth[i] + 1;
      node_depth[nodes_[i].right] = node_depth[i] + 1;
    }
  }
  return deepest;
}

}  // namespace convlat::model
