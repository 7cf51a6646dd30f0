#include "model/fit/boosted_trees.h"

#include <algorithm>
#include <cassert>
#include <cstdint>

namespace convlat::model {
namespace {

// Up to bins - 1 cut points per feature at quantiles of its values; a value v falls in the bin of
// the first cut >= v (the last bin when none is).
std::vector<double> Cuts(std::vector<double> values, int bins) {
  std::sort(values.begin(), values.end());
  std::vector<double> cuts;
  for (int b = 1; b < bins; ++b) {
    const double cut = values[values.size() * b / bins];
    if (cut < values.back() && (cuts.empty() || cut > cuts.back())) cuts.push_back(cut);
  }
  return cuts;
}

struct Split {
  int feature = -1;
  int bin = 0;  // rows with bin <= this go left
  double gain = 0;
};

}  // namespace

BoostedTrees BoostedTrees::Fit(std::span<const double> rows, int width, std::span<const double> targets,
                               std::span<const double> weights, const BoostedTreesOptions& options) {
  assert(width > 0 && rows.size() == targets.size() * width && weights.size() == targets.size());
  BoostedTrees model;
  model.width_ = width;
  std::vector<int> kept;
  double weight_sum = 0, target_sum = 0;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (!(weights[i] > 0)) continue;
    kept.push_back(static_cast<int>(i));
    weight_sum += weights[i], target_sum += weights[i] * targets[i];
  }
  if (kept.empty()) return model;
  model.base_ = target_sum / weight_sum;
  if (options.huber_delta > 0) {  // Huber's loss starts from the median: the mean follows the far-off rows
    std::vector<double> kept_targets;
    for (int i : kept) kept_targets.push_back(targets[i]);
    std::nth_element(kept_targets.begin(), kept_targets.begin() + kept_targets.size() / 2, kept_targets.end());
    model.base_ = kept_targets[kept_targets.size() / 2];
  }
  const size_t n = kept.size();
  // Binned features, row-major: a node's histograms are filled in one pass over its rows.
  std::vector<std::vector<double>> cuts(width);
  std::vector<uint8_t> bin(n * width);
  std::vector<int> offset(width + 1, 0);  // where each feature's bins start in a node's histogram
  for (int f = 0; f < width; ++f) {
    std::vector<double> values(n);
    for (size_t i = 0; i < n; ++i) values[i] = rows[kept[i] * width + f];
    cuts[f] = Cuts(values, std::min(options.bins, 256));
    offset[f + 1] = offset[f] + static_cast<int>(cuts[f].size()) + 1;
    for (size_t i = 0; i < n; ++i) {
      bin[i * width + f] =
          static_cast<uint8_t>(std::lower_bound(cuts[f].begin(), cuts[f].end(), values[i]) - cuts[f].begin());
    }
  }
  std::vector<double> residual(n), w(n);
  for (size_t i = 0; i < n; ++i) residual[i] = targets[kept[i]] - model.base_, w[i] = weights[kept[i]];
  struct Bin {
    double g = 0, w = 0;
    int n = 0;
  };
  std::vector<Bin> histogram(offset[width]);
  std::vector<int> order(n);
  std::vector<double> gradient(n);
  for (int round = 0; round < options.rounds; ++round) {
    // Grows one tree depth-first over index ranges of `order`, partitioned in place at each split.
    for (size_t i = 0; i < n; ++i) order[i] = static_cast<int>(i);
    for (size_t i = 0; i < n; ++i) {
      gradient[i] =
          options.huber_delta > 0 ? std::clamp(residual[i], -options.huber_delta, options.huber_delta) : residual[i];
    }
    auto grow = [&](auto& self, int begin, int end, int depth) -> int {
      double g = 0, h = 0;
      for (int p = begin; p < end; ++p) g += w[order[p]] * gradient[order[p]], h += w[order[p]];
      const int index = static_cast<int>(model.nodes_.size());
      model.nodes_.push_back({});
      Split best;
      const int count = end - begin;
      if (depth < options.max_depth && count >= 2 * options.min_samples_leaf) {
        std::fill(histogram.begin(), histogram.end(), Bin{});
        for (int p = begin; p < end; ++p) {
          const int i = order[p];
          const double wg = w[i] * gradient[i];
          const uint8_t* row_bins = &bin[static_cast<size_t>(i) * width];
          for (int f = 0; f < width; ++f) {
            Bin& b = histogram[offset[f] + row_bins[f]];
            b.g += wg, b.w += w[i], ++b.n;
          }
        }
        const double parent = g * g / (h + options.l2);
        for (int f = 0; f < width; ++f) {
          double left_g = 0, left_w = 0;
          int left_n = 0;
          for (int b = 0; b + 1 < offset[f + 1] - offset[f]; ++b) {
            const Bin& bin_b = histogram[offset[f] + b];
            left_g += bin_b.g, left_w += bin_b.w, left_n += bin_b.n;
            if (left_n < options.min_samples_leaf) continue;
            if (count - left_n < options.min_samples_leaf) break;
            const double right_g = g - left_g, right_w = h - left_w;
            const double gain =
                left_g * left_g / (left_w + options.l2) + right_g * right_g / (right_w + options.l2) - parent;
            if (gain > best.gain) best = {f, b, gain};
          }
        }
      }
      if (best.feature < 0) {
        model.nodes_[index].value = options.learning_rate * g / (h + options.l2);
        for (int p = begin; p < end; ++p) residual[order[p]] -= model.nodes_[index].value;
        return index;
      }
      const int middle = static_cast<int>(
          std::partition(order.begin() + begin, order.begin() + end,
                         [&](int i) { return bin[static_cast<size_t>(i) * width + best.feature] <= best.bin; }) -
          order.begin());
      model.nodes_[index].feature = best.feature;
      model.nodes_[index].threshold = cuts[best.feature][best.bin];
      const int left = self(self, begin, middle, depth + 1);
      const int right = self(self, middle, end, depth + 1);
      model.nodes_[index].left = left;
      model.nodes_[index].right = right;
      return index;
    };
    model.roots_.push_back(grow(grow, 0, static_cast<int>(n), 0));
  }
  model.flat_ = FlatTreeEnsemble::Build(model.nodes_, model.roots_);
  return model;
}

double BoostedTrees::TreeOutput(int root, std::span<const double> row) const {
  int node = root;
  while (nodes_[node].feature >= 0) {
    node = row[nodes_[node].feature] <= nodes_[node].threshold ? nodes_[node].left : nodes_[node].right;
  }
  return nodes_[node].value;
}

double BoostedTrees::Predict(std::span<const double> row) const {
  if (flat_) return flat_->Sum(base_, row);
  double sum = base_;
  for (int root : roots_) sum += TreeOutput(root, row);
  return sum;
}

std::vector<double> BoostedTrees::TreeOutputs(std::span<const double> row) const {
  std::vector<double> outputs;
  outputs.reserve(roots_.size());
  for (int root : roots_) outputs.push_back(TreeOutput(root, row));
  return outputs;
}

void BoostedTrees::Truncate(int rounds) {
  rounds = std::max(rounds, 0);
  if (rounds >= static_cast<int>(roots_.size())) return;
  // Each tree's nodes follow its root, trees one after another: the kept ones are a prefix.
  nodes_.resize(roots_[rounds]);
  roots_.resize(rounds);
  flat_ = FlatTreeEnsemble::Build(nodes_, roots_);
}

}  // namespace convlat::model
