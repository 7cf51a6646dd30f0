#include "model/transfer/boosted_trees.h"

#include <algorithm>
#include <numeric>

namespace convlat::model {
namespace {

constexpr int kMaxBins = 64;

// Up to kMaxBins upper edges at the feature's quantiles; a value v falls in the first bin whose
// edge is >= v, so "bin <= b" is "v <= edges[b]" for any v, seen in the fit or not.
std::vector<double> QuantileEdges(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  std::vector<double> edges;
  for (int b = 1; b <= kMaxBins; ++b) {
    const double edge = values[std::min(values.size() - 1, values.size() * b / kMaxBins)];
    if (edges.empty() || edge > edges.back()) edges.push_back(edge);
  }
  if (edges.back() < values.back()) edges.push_back(values.back());
  return edges;
}

}  // namespace

BoostedTrees BoostedTrees::Fit(const std::vector<std::vector<double>>& features, const std::vector<double>& targets,
                               const BoostedTreesOptions& options) {
  BoostedTrees model;
  if (features.empty()) return model;
  const size_t rows = features.size();
  Binned binned;
  binned.features = static_cast<int>(features[0].size());
  binned.bins.resize(rows * binned.features);
  for (int f = 0; f < binned.features; ++f) {
    std::vector<double> column(rows);
    for (size_t i = 0; i < rows; ++i) column[i] = features[i][f];
    binned.edges.push_back(QuantileEdges(column));
    const std::vector<double>& edges = binned.edges.back();
    for (size_t i = 0; i < rows; ++i) {
      binned.bins[i * binned.features + f] =
          static_cast<uint8_t>(std::lower_bound(edges.begin(), edges.end(), column[i]) - edges.begin());
    }
  }
  model.base_ = std::accumulate(targets.begin(), targets.end(), 0.0) / rows;
  std::vector<double> residuals(rows);
  for (size_t i = 0; i < rows; ++i) residuals[i] = targets[i] - model.base_;
  for (int t = 0; t < options.trees; ++t) {
    std::vector<int> all(rows);
    std::iota(all.begin(), all.end(), 0);
    const int root = model.Grow(binned, residuals, all, 0, options);
    model.roots_.push_back(root);
    for (size_t i = 0; i < rows; ++i) residuals[i] -= model.PredictTree(root, features[i]);
  }
  return model;
}

int BoostedTrees::Grow(const Binned& binned, const std::vector<double>& residuals, std::vector<int>& rows, int depth,
                       const BoostedTreesOptions& options) {
  const int index = static_cast<int>(nodes_.size());
  nodes_.push_back(Node{});
  const int total = static_cast<int>(rows.size());
  double sum = 0;
  for (int row : rows) sum += residuals[row];
  nodes_[index].value = options.learning_rate * sum / std::max(total, 1);
  if (depth >= options.max_depth || total < 2 * options.min_samples_leaf) return index;

  // The split that removes the most squared error: per feature, the residual sums of its bins, swept.
  double best_gain = 1e-12;
  int best_feature = -1, best_bin = 0;
  std::vector<double> bin_sum(kMaxBins + 1);
  std::vector<int> bin_count(kMaxBins + 1);
  for (int f = 0; f < binned.features; ++f) {
    std::fill(bin_sum.begin(), bin_sum.end(), 0.0);
    std::fill(bin_count.begin(), bin_count.end(), 0);
    for (int row : rows) {
      const int bin = binned.bins[static_cast<size_t>(row) * binned.features + f];
      bin_sum[bin] += residuals[row];
      ++bin_count[bin];
    }
    double left_sum = 0;
    int left_n = 0;
    for (size_t b = 0; b + 1 < binned.edges[f].size(); ++b) {
      left_sum += bin_sum[b];
      left_n += bin_count[b];
      const int right_n = total - left_n;
      if (left_n < options.min_samples_leaf) continue;
      if (right_n < options.min_samples_leaf) break;
      const double right_sum = sum - left_sum;
      // SSE reduction = left_sum²/left_n + right_sum²/right_n - sum²/total.
      const double gain = left_sum * left_sum / left_n + right_sum * right_sum / right_n - sum * sum / total;
      if (gain > best_gain) {
        best_gain = gain;
        best_feature = f;
        best_bin = static_cast<int>(b);
      }
    }
  }
  if (best_feature < 0) return index;
  std::vector<int> left, right;
  for (int row : rows) {
    (binned.bins[static_cast<size_t>(row) * binned.features + best_feature] <= best_bin ? left : right).push_back(row);
  }
  rows.clear();
  rows.shrink_to_fit();
  nodes_[index].feature = best_feature;
  nodes_[index].threshold = binned.edges[best_feature][best_bin];
  const int left_index = Grow(binned, residuals, left, depth + 1, options);
  const int right_index = Grow(binned, residuals, right, depth + 1, options);
  nodes_[index].left = left_index;
  nodes_[index].right = right_index;
  return index;
}

double BoostedTrees::PredictTree(int root, std::span<const double> features) const {
  int node = root;
  while (nodes_[node].feature >= 0) {
    node = features[nodes_[node].feature] <= nodes_[node].threshold ? nodes_[node].left : nodes_[node].right;
  }
  return nodes_[node].value;
}

double BoostedTrees::Predict(std::span<const double> features) const {
  double value = base_;
  for (int root : roots_) value += PredictTree(root, features);
  return value;
}

}  // namespace convlat::model
